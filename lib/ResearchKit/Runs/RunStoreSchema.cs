using Microsoft.Data.Sqlite;

namespace ResearchKit.Runs;

/// <summary>
/// Schema of <c>runs.db</c> and its migrations. <c>PRAGMA user_version</c> holds the schema version; migration
/// <c>i</c> upgrades version <c>i</c> to <c>i + 1</c> inside the opening transaction, so a store is never left
/// half-migrated. To change the schema, append a migration (never edit a released one).
/// </summary>
internal static class RunStoreSchema
{
    /// <summary>Upgrades the schema by one version inside the given transaction.</summary>
    internal delegate void Migration(SqliteConnection connection, SqliteTransaction transaction);

    /// <summary>All migrations; the current schema version is their count.</summary>
    internal static readonly IReadOnlyList<Migration> Migrations = [CreateV1, AddLeaseV2, AddCodeVersionAndLeaseTokenV3];

    /// <summary>Version 1: runs, metric series, final metrics, checkpoints, artifacts.</summary>
    private static void CreateV1(SqliteConnection c, SqliteTransaction tx) => Execute(c, tx, """
        CREATE TABLE runs(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            config_hash TEXT NOT NULL,
            config_json TEXT NOT NULL,
            status TEXT NOT NULL,
            started_utc TEXT NOT NULL,
            ended_utc TEXT,
            error TEXT);
        CREATE INDEX ix_runs_config_hash ON runs(config_hash, id);
        CREATE TABLE metrics(
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            name TEXT NOT NULL,
            value REAL);
        CREATE INDEX ix_metrics_run_step ON metrics(run_id, step);
        CREATE INDEX ix_metrics_run_name_step ON metrics(run_id, name, step);
        CREATE TABLE final_metrics(
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value REAL,
            PRIMARY KEY(run_id, name));
        CREATE TABLE checkpoints(
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            path TEXT NOT NULL,
            created_utc TEXT NOT NULL,
            PRIMARY KEY(run_id, step));
        CREATE TABLE artifacts(
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            path TEXT NOT NULL,
            PRIMARY KEY(run_id, name));
        """);

    /// <summary>Version 2: the lease of a Running run (owner process and its last heartbeat).</summary>
    private static void AddLeaseV2(SqliteConnection c, SqliteTransaction tx) => Execute(c, tx, """
        ALTER TABLE runs ADD COLUMN owner TEXT;
        ALTER TABLE runs ADD COLUMN heartbeat_utc TEXT;
        """);

    /// <summary>
    /// Version 3: <c>config_key</c> (hash of the config without its code version: finds stale results of other code
    /// versions), <c>code_version</c>, and <c>lease_token</c> (random per lease, so a writer whose lease was taken over
    /// is refused). Existing rows get their key and version from their stored config JSON; their token stays null (an
    /// old lease is free to take over).
    /// </summary>
    private static void AddCodeVersionAndLeaseTokenV3(SqliteConnection c, SqliteTransaction tx)
    {
        Execute(c, tx, """
            ALTER TABLE runs ADD COLUMN config_key TEXT;
            ALTER TABLE runs ADD COLUMN code_version TEXT;
            ALTER TABLE runs ADD COLUMN lease_token TEXT;
            CREATE INDEX ix_runs_config_key ON runs(config_key, id);
            """);
        var rows = new List<(long Id, string Json)>();
        using (var sel = c.CreateCommand())
        {
            sel.Transaction = tx;
            sel.CommandText = "SELECT id, config_json FROM runs;";
            using var reader = sel.ExecuteReader();
            while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        using var upd = c.CreateCommand();
        upd.Transaction = tx;
        upd.CommandText = "UPDATE runs SET config_key = $k, code_version = $v WHERE id = $id;";
        var key = upd.Parameters.Add("$k", SqliteType.Text);
        var version = upd.Parameters.Add("$v", SqliteType.Text);
        var id = upd.Parameters.Add("$id", SqliteType.Integer);
        foreach (var (rowId, json) in rows)
        {
            key.Value = (object?)RunConfig.KeyWithoutCodeVersion(json) ?? DBNull.Value;
            version.Value = (object?)RunConfig.CodeVersionOf(json) ?? DBNull.Value;
            id.Value = rowId;
            upd.ExecuteNonQuery();
        }
    }

    /// <summary>Runs SQL text in a transaction.</summary>
    internal static void Execute(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Reads <c>PRAGMA user_version</c>.</summary>
    internal static long ReadVersion(SqliteConnection c, SqliteTransaction? tx)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "PRAGMA user_version;";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Brings the database to the latest version of <paramref name="migrations"/> in one immediate transaction.</summary>
    /// <exception cref="NotSupportedException">The database is newer than these migrations.</exception>
    internal static void Migrate(SqliteConnection c, IReadOnlyList<Migration> migrations, string dbPath)
    {
        using var tx = c.BeginTransaction(deferred: false); // IMMEDIATE: concurrent openers migrate one at a time
        long version = ReadVersion(c, tx);
        if (version > migrations.Count)
            throw new NotSupportedException(
                $"SqliteRunStore: '{dbPath}' has schema version {version}, newer than this ResearchKit supports ({migrations.Count}); " +
                "update ResearchKit or use another runs directory.");
        for (long v = version; v < migrations.Count; v++) migrations[(int)v](c, tx);
        if (version != migrations.Count) Execute(c, tx, $"PRAGMA user_version = {migrations.Count};");
        tx.Commit();
    }
}
