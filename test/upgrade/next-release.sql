-- The drill's next release: what an additive migration does (migrations add, never rename or
-- drop). A nullable column on a synchronised table, and a table of its own.
ALTER TABLE `terminals` ADD `asset_tag` text;
--> statement-breakpoint
CREATE TABLE `upgrade_drill_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`note` text NOT NULL
);
