/* The embedded migrations (generated from src/store/migrations/NNNN_name.sql by
 * tools/embed_migrations.sh), in version order, ending with version 0.
 * SQL is the common dialect; dialect_migration_sql() adapts it per backend. */
#ifndef OG_MIGRATIONS_H
#define OG_MIGRATIONS_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];

#endif
