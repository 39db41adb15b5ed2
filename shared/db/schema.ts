// Replaced by the typed schema of the migrations.
export interface DB {
  schema_migrations: { name: string; checksum: string; applied_at: Date };
}
