/// The DDL of the tool's own tables, in `tableNames` order: created on first use by a run,
/// printed by `dingsync schema`. Every statement is idempotent (CREATE TABLE IF NOT EXISTS).
extension StateStore {
    public static var allDDL: [String] { ddl + economyDDL + eventsDDL }

    public static let ddl: [String] = [
        """
        CREATE TABLE IF NOT EXISTS `dingsync_state` (
          `job` VARCHAR(64) NOT NULL PRIMARY KEY,
          `watermark_ms` BIGINT NOT NULL COMMENT 'every instance created before this instant is written',
          `updated_at` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_instances` (
          `job` VARCHAR(64) NOT NULL,
          `instance_id` VARCHAR(128) NOT NULL,
          `create_time_ms` BIGINT NULL,
          `status` VARCHAR(32) NULL,
          `is_final` TINYINT NOT NULL DEFAULT 0,
          `fetched_at_ms` BIGINT NOT NULL,
          `detail` LONGTEXT NOT NULL COMMENT 'process_instance JSON as last fetched',
          PRIMARY KEY (`job`, `instance_id`),
          KEY `open_instances` (`job`, `is_final`, `create_time_ms`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_rejects` (
          `job` VARCHAR(64) NOT NULL,
          `instance_id` VARCHAR(128) NOT NULL,
          `column_name` VARCHAR(64) NOT NULL,
          `raw_value` MEDIUMTEXT NULL,
          `reason` TEXT NOT NULL,
          `attempts` INT NOT NULL DEFAULT 1,
          `first_seen` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
          `last_seen` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
          PRIMARY KEY (`job`, `instance_id`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_runs` (
          `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          `job` VARCHAR(64) NOT NULL,
          `mode` VARCHAR(16) NOT NULL,
          `from_ms` BIGINT NULL,
          `to_ms` BIGINT NULL,
          `started_at` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
          `finished_at` DATETIME NULL,
          `status` VARCHAR(16) NOT NULL DEFAULT 'running',
          `exit_code` INT NULL,
          `listed` INT NOT NULL DEFAULT 0,
          `fetched` INT NOT NULL DEFAULT 0,
          `written` INT NOT NULL DEFAULT 0,
          `skipped` INT NOT NULL DEFAULT 0,
          `rejected` INT NOT NULL DEFAULT 0,
          `api_calls` INT NOT NULL DEFAULT 0,
          `calls_token` INT NOT NULL DEFAULT 0,
          `calls_listids` INT NOT NULL DEFAULT 0,
          `calls_get` INT NOT NULL DEFAULT 0,
          `retries` INT NOT NULL DEFAULT 0,
          `error` TEXT NULL,
          `windows` MEDIUMTEXT NULL COMMENT 'per window: listed vs fetched/skipped/failed/rejected (reconciliation)',
          KEY `by_job` (`job`, `id`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
    ]

    static let economyDDL: [String] = [
        """
        CREATE TABLE IF NOT EXISTS `dingsync_pending` (
          `job` VARCHAR(64) NOT NULL,
          `instance_id` VARCHAR(128) NOT NULL,
          `reason` VARCHAR(16) NOT NULL COMMENT 'new | followup | reject | gone | abandoned | closed',
          `seen_ms` BIGINT NOT NULL,
          `tries` INT NOT NULL DEFAULT 0,
          `last_try_ms` BIGINT NULL,
          `first_fail_ms` BIGINT NULL,
          PRIMARY KEY (`job`, `instance_id`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_ledger` (
          `job` VARCHAR(64) NOT NULL,
          `month` CHAR(7) NOT NULL COMMENT 'Beijing calendar month',
          `endpoint` VARCHAR(16) NOT NULL,
          `app_key_id` CHAR(16) NOT NULL COMMENT 'hash of the app key: jobs sharing a quota',
          `calls` INT NOT NULL DEFAULT 0,
          `updated_ms` BIGINT NOT NULL,
          PRIMARY KEY (`job`, `month`, `endpoint`),
          KEY `by_app` (`app_key_id`, `month`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_schedule` (
          `job` VARCHAR(64) NOT NULL PRIMARY KEY,
          `last_listed_ms` BIGINT NULL,
          `alerted_month` CHAR(7) NULL COMMENT 'the month whose 80 % warning was sent'
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_app` (
          `app_key_id` CHAR(16) NOT NULL PRIMARY KEY,
          `token_sealed` TEXT NULL COMMENT 'AES-GCM under a key derived from the app secret',
          `token_expires_ms` BIGINT NULL,
          `blocked_until_ms` BIGINT NULL COMMENT 'monthly quota exhausted until this instant',
          `blocked_reason` TEXT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        // v1 (issue 11): when a RUNNING listing last returned an open instance. A table of its
        // own (not a column of dingsync_instances) so an existing install gains it with
        // CREATE TABLE IF NOT EXISTS, and a topapi job simply never writes it.
        """
        CREATE TABLE IF NOT EXISTS `dingsync_running` (
          `job` VARCHAR(64) NOT NULL,
          `instance_id` VARCHAR(128) NOT NULL,
          `confirmed_ms` BIGINT NOT NULL COMMENT 'tool clock: last listed as RUNNING/NEW',
          PRIMARY KEY (`job`, `instance_id`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        // Issue 19: when a quota block was last probed. Its own table for the same reason.
        """
        CREATE TABLE IF NOT EXISTS `dingsync_probe` (
          `app_key_id` CHAR(16) NOT NULL PRIMARY KEY,
          `probed_ms` BIGINT NOT NULL COMMENT 'tool clock: the last call made to see whether a quota block still holds'
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
    ]
}
