CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`created_by` text,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_name` ON `api_tokens` (`name`);--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`server_id` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`entity` text NOT NULL,
	`entity_id` text,
	`before` text,
	`after` text
);
--> statement-breakpoint
CREATE INDEX `audit_events_entity` ON `audit_events` (`entity`,`entity_id`);--> statement-breakpoint
CREATE INDEX `audit_events_at` ON `audit_events` (`at`);--> statement-breakpoint
CREATE TABLE `display_clients` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`terminal_server_ids` text DEFAULT '[]' NOT NULL,
	`failover_mode` text DEFAULT 'none' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `display_clients_name` ON `display_clients` (`name`);--> statement-breakpoint
CREATE TABLE `firmware_packages` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`name` text NOT NULL,
	`package_version` text NOT NULL,
	`object_key` text NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `firmware_packages_name_version` ON `firmware_packages` (`name`,`package_version`);--> statement-breakpoint
CREATE TABLE `pending_terminals` (
	`mac` text PRIMARY KEY NOT NULL,
	`first_seen` text NOT NULL,
	`last_seen` text NOT NULL,
	`relay_id` text,
	`request_count` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `resolved_configs` (
	`mac` text PRIMARY KEY NOT NULL,
	`terminal_id` text NOT NULL,
	`document` text NOT NULL,
	`config_version` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `terminal_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`name` text NOT NULL,
	`parent_id` text,
	`hardware_model` text,
	`video_resolution` text,
	`firmware_package_id` text,
	`display_client_ids` text,
	`options` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `terminal_groups_name` ON `terminal_groups` (`name`);--> statement-breakpoint
CREATE INDEX `terminal_groups_parent` ON `terminal_groups` (`parent_id`);--> statement-breakpoint
CREATE TABLE `terminal_servers` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`name` text NOT NULL,
	`host` text NOT NULL,
	`port` integer DEFAULT 3389 NOT NULL,
	`enabled` integer DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `terminal_servers_name` ON `terminal_servers` (`name`);--> statement-breakpoint
CREATE TABLE `terminal_status` (
	`mac` text PRIMARY KEY NOT NULL,
	`last_boot_at` text NOT NULL,
	`relay_id` text NOT NULL,
	`firmware_version` text,
	`source` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `terminals` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`mac` text NOT NULL,
	`name` text NOT NULL,
	`group_id` text,
	`hardware_model` text,
	`video_resolution` text,
	`firmware_package_id` text,
	`display_client_ids` text,
	`options` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `terminals_mac` ON `terminals` (`mac`);--> statement-breakpoint
CREATE UNIQUE INDEX `terminals_name` ON `terminals` (`name`);--> statement-breakpoint
CREATE INDEX `terminals_group` ON `terminals` (`group_id`);