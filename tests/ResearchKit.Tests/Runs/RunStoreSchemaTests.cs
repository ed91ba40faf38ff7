using Microsoft.Data.Sqlite;
using ResearchKit.Runs;
using Xunit;

namespace ResearchKit.Tests.Runs;

public class RunStoreSchemaTests
{
    [Fact]
    public void NewStore_HasCurrentSchemaVersionAndTables()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Equal(3, SqliteRunStore.SchemaVersion);
        Assert.Equal((long)SqliteRunStore.SchemaVersion, store.ExecuteScalar("PRAGMA user_version;"));
        foreach (string table in new[] { "runs", "metrics", "final_metrics", "checkpoints", "artifacts" })
            Assert.Equal(1L, store.ExecuteScalar($"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}';"));
        Assert.Equal(1L, store.ExecuteScalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_metrics_run_step';"));
    }

    [Fact]
    public void Reopen_DoesNotRerunMigrationsAndKeepsData()
    {
        using var dir = new TempRunsDir();
        var cfg = SqliteRunStoreTests.Config(1);
        using (var store = SqliteRunStore.Open(dir.Path)) store.StartOrResume(cfg.Hash, cfg.Json);
        using (var store = SqliteRunStore.Open(dir.Path)) Assert.NotNull(store.Find(cfg.Hash));
    }

    [Fact]
    public void MigrationHook_UpgradesExistingStoreOnce()
    {
        using var dir = new TempRunsDir();
        var cfg = SqliteRunStoreTests.Config(1);
        long id;
        using (var store = SqliteRunStore.Open(dir.Path)) id = store.StartOrResume(cfg.Hash, cfg.Json).Id;

        int calls = 0;
        RunStoreSchema.Migration next = (c, tx) =>
        {
            calls++;
            RunStoreSchema.Execute(c, tx, "ALTER TABLE runs ADD COLUMN note TEXT; UPDATE runs SET note = 'migrated';");
        };
        var migrations = new List<RunStoreSchema.Migration>(RunStoreSchema.Migrations) { next };
        using (var store = SqliteRunStore.Open(dir.Path, migrations))
        {
            Assert.Equal((long)SqliteRunStore.SchemaVersion + 1, store.ExecuteScalar("PRAGMA user_version;"));
            Assert.Equal("migrated", store.ExecuteScalar($"SELECT note FROM runs WHERE id = {id};"));
            Assert.Equal(id, store.Find(cfg.Hash)!.Id);
        }
        using (SqliteRunStore.Open(dir.Path, migrations)) { }
        Assert.Equal(1, calls);

        // The old code refuses the newer database instead of misreading it.
        var ex = Assert.Throws<NotSupportedException>(() => SqliteRunStore.Open(dir.Path));
        Assert.Contains($"schema version {SqliteRunStore.SchemaVersion + 1}", ex.Message);
        Assert.Contains("update ResearchKit", ex.Message);
    }

    [Fact]
    public void FailingMigration_RollsBackCompletely()
    {
        using var dir = new TempRunsDir();
        using (SqliteRunStore.Open(dir.Path)) { }
        RunStoreSchema.Migration broken = (c, tx) =>
        {
            RunStoreSchema.Execute(c, tx, "CREATE TABLE half_done(x INTEGER);");
            throw new InvalidOperationException("migration bug");
        };
        var migrations = new List<RunStoreSchema.Migration>(RunStoreSchema.Migrations) { broken };
        Assert.Throws<InvalidOperationException>(() => SqliteRunStore.Open(dir.Path, migrations));
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Equal((long)SqliteRunStore.SchemaVersion, store.ExecuteScalar("PRAGMA user_version;"));
        Assert.Equal(0L, store.ExecuteScalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done';"));
    }

    [Fact]
    public void NotADatabase_GivesSqliteError()
    {
        using var dir = new TempRunsDir();
        File.WriteAllText(Path.Combine(dir.Path, "runs.db"), "this is not a database, just text long enough to fill a header....................................");
        Assert.Throws<SqliteException>(() => SqliteRunStore.Open(dir.Path));
    }
}
