CREATE TABLE `licenses` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`license_id` text NOT NULL,
	`file` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `server_identity` (
	`id` text PRIMARY KEY NOT NULL,
	`installation_id` text NOT NULL,
	`created_at` text NOT NULL,
	`shadow_public_key` text NOT NULL,
	`shadow_private_key` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `terminal_leases` (
	`mac` text PRIMARY KEY NOT NULL,
	`granted_at` text NOT NULL,
	`renewed_at` text NOT NULL,
	`expires_at` integer NOT NULL,
	`relay_id` text
);
--> statement-breakpoint
CREATE INDEX `terminal_leases_expires` ON `terminal_leases` (`expires_at`);