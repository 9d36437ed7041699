CREATE TABLE `boot_document_feed` (
	`mac` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`removed` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `boot_document_feed_seq` ON `boot_document_feed` (`seq`);--> statement-breakpoint
-- The documents a server already holds enter the feed in the order they were stored.
INSERT INTO `boot_document_feed` (`mac`, `seq`, `removed`) SELECT `mac`, `rowid`, 0 FROM `resolved_configs`;
