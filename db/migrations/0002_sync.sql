CREATE TABLE `change_log` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`change_id` text NOT NULL,
	`entity` text NOT NULL,
	`record_id` text NOT NULL,
	`operation` text NOT NULL,
	`before` text,
	`after` text,
	`hlc` text NOT NULL,
	`origin` text NOT NULL,
	`base_change_id` text,
	`actor` text NOT NULL,
	`at` text NOT NULL,
	`received_at` text,
	`status` text DEFAULT 'applied' NOT NULL,
	`error` text,
	`revert_of` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `change_log_change_id` ON `change_log` (`change_id`);--> statement-breakpoint
CREATE INDEX `change_log_origin_seq` ON `change_log` (`origin`,`seq`);--> statement-breakpoint
CREATE INDEX `change_log_record` ON `change_log` (`entity`,`record_id`,`seq`);--> statement-breakpoint
CREATE INDEX `change_log_hlc` ON `change_log` (`hlc`);--> statement-breakpoint
CREATE INDEX `change_log_at` ON `change_log` (`at`);--> statement-breakpoint
CREATE INDEX `change_log_status` ON `change_log` (`status`);--> statement-breakpoint
CREATE TABLE `record_heads` (
	`entity` text NOT NULL,
	`record_id` text NOT NULL,
	`change_id` text NOT NULL,
	`hlc` text NOT NULL,
	`origin` text NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`entity`, `record_id`)
);
--> statement-breakpoint
CREATE TABLE `sync_conflicts` (
	`id` text PRIMARY KEY NOT NULL,
	`pair_key` text NOT NULL,
	`kind` text NOT NULL,
	`entity` text NOT NULL,
	`record_id` text NOT NULL,
	`local` text NOT NULL,
	`remote` text NOT NULL,
	`winner_change_id` text NOT NULL,
	`resolution` text NOT NULL,
	`detected_at` text NOT NULL,
	`acknowledged_at` text,
	`acknowledged_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_conflicts_pair` ON `sync_conflicts` (`pair_key`);--> statement-breakpoint
CREATE INDEX `sync_conflicts_record` ON `sync_conflicts` (`entity`,`record_id`);--> statement-breakpoint
CREATE TABLE `sync_peers` (
	`peer_server_id` text PRIMARY KEY NOT NULL,
	`peer_log_id` text NOT NULL,
	`cursor` integer DEFAULT 0 NOT NULL,
	`last_success_at` text,
	`last_applied_at` text,
	`bootstrapped_at` text
);
--> statement-breakpoint
CREATE TABLE `sync_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`log_id` text NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`paused_at` text,
	`paused_by` text
);
