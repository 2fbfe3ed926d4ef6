package postgres

// MigrationLock is the key of the advisory lock that Open migrates under.
const MigrationLock = migrationLock
