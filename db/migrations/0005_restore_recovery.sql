ALTER TABLE `sync_state` ADD `restored_at` text;--> statement-breakpoint
ALTER TABLE `sync_state` ADD `recovered_at` text;--> statement-breakpoint
ALTER TABLE `sync_state` ADD `recovery_log_id` text;--> statement-breakpoint
ALTER TABLE `sync_state` ADD `recovery_cursor` integer DEFAULT 0 NOT NULL;