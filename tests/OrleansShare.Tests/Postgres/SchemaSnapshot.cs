using Npgsql;

namespace OrleansShare.Tests.Postgres;

/// <summary>
/// What the schema scripts made, precisely enough to see a re-application: rows with their <c>xmin</c> (an
/// UPDATE or re-INSERT changes it), catalog objects with their oids (a DROP/CREATE changes them) and the
/// <c>xmin</c> of functions (CREATE OR REPLACE changes it).
/// </summary>
internal sealed record SchemaSnapshot(
    IReadOnlyList<string> Migrations,
    IReadOnlyList<string> Queries,
    IReadOnlyList<string> Relations,
    IReadOnlyList<string> Columns,
    IReadOnlyList<string> Indexes,
    IReadOnlyList<string> Triggers,
    IReadOnlyList<string> Functions)
{
    public static async Task<SchemaSnapshot> TakeAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        async Task<IReadOnlyList<string>> Rows(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<string>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())));
            }

            return rows;
        }

        return new SchemaSnapshot(
            await Rows("SELECT name, applied_at::text, xmin::text FROM orleansshare_schema_migrations ORDER BY name"),
            await Rows("SELECT querykey, md5(querytext), xmin::text FROM orleansquery ORDER BY querykey"),
            await Rows("""
                SELECT c.relname, c.relkind::text, c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'i', 'S', 'v', 'm') ORDER BY c.relname
                """),
            await Rows("""
                SELECT table_name, ordinal_position::text, column_name, data_type, is_nullable, coalesce(column_default, '')
                FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
                """),
            await Rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"),
            await Rows("""
                SELECT t.tgname, t.tgrelid::regclass::text, t.oid::text, pg_get_triggerdef(t.oid) FROM pg_trigger t
                JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY t.tgname
                """),
            await Rows("""
                SELECT p.proname, p.oid::text, p.xmin::text, md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' ORDER BY p.proname
                """));
    }
}
