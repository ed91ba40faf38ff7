using ResearchKit.Runs;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Runs;

public class CheckpointTests
{
    private static Checkpoint MakeCheckpoint(long step, int seed)
    {
        var rng = new Random(seed);
        var w = new float[3 * 4];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        var tensors = new Dictionary<string, Tensor>
        {
            ["model.fc.weight"] = Tensor.FromArray(w, 3, 4),
            ["model.fc.bias"] = Tensor.FromArray(new[] { float.NaN, -0f, float.PositiveInfinity }, 3),
            ["optim.step"] = Tensor.FromArray(new[] { step }),           // 0-d Int64
            ["rng.state"] = Tensor.FromArray(new[] { long.MinValue, -1L, long.MaxValue, 42L }, 4),
            ["scale"] = Tensor.Scalar(0.125f),                           // 0-d Float32
        };
        var meta = new Dictionary<string, string> { ["optimizer"] = "{\"lr\":0.1}", ["loader.position"] = $"epoch=1;batch={step}" };
        return new Checkpoint(step, tensors, meta);
    }

    private static void AssertSame(Checkpoint expected, Checkpoint? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Step, actual.Step);
        Assert.Equal(expected.Metadata.OrderBy(k => k.Key), actual.Metadata.OrderBy(k => k.Key));
        Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
        foreach (var (name, e) in expected.Tensors)
        {
            var a = actual.Tensors[name];
            Assert.Equal(e.DType, a.DType);
            Assert.True(e.Shape == a.Shape, $"{name}: shape {a.Shape}, expected {e.Shape}");
            if (e.DType == DType.Float32)
            {
                // Bit-exact, including NaN and the sign of zero.
                Assert.Equal(e.ToArray().Select(BitConverter.SingleToInt32Bits), a.ToArray().Select(BitConverter.SingleToInt32Bits));
            }
            else Assert.Equal(e.ToInt64Array(), a.ToInt64Array());
        }
    }

    private static (TempRunsDir Dir, SqliteRunStore Store, long RunId, List<string> Warnings) NewRun()
    {
        var dir = new TempRunsDir();
        var store = SqliteRunStore.Open(dir.Path);
        var warnings = new List<string>();
        store.Warning = warnings.Add;
        var cfg = SqliteRunStoreTests.Config(1);
        return (dir, store, store.StartOrResume(cfg.Hash, cfg.Json).Id, warnings);
    }

    [Fact]
    public void StoredWeights_ReturnsTheLatestCheckpoint_AndNamesTheReaderAndTheFixWhenThereIsNone()
    {
        var (dir, store, id, _) = NewRun();
        using (dir)
        using (store)
        {
            var e = Assert.Throws<InvalidOperationException>(() => store.StoredWeights(id, "SomeRecipe.Trained"));
            Assert.Contains("SomeRecipe.Trained", e.Message);
            Assert.Contains($"run {id} has no stored weights", e.Message);
            Assert.Contains("delete that run", e.Message);
            var ckpt = MakeCheckpoint(10, seed: 3);
            store.SaveCheckpoint(id, ckpt);
            store.SaveCheckpoint(id, MakeCheckpoint(20, seed: 4));
            Assert.Equal(20, store.StoredWeights(id, "SomeRecipe.Trained").Step);
        }
    }

    [Fact]
    public void SaveThenLoad_RoundTripsTensorsAndMetadata()
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            Assert.Null(store.LatestCheckpoint(id));
            var ckpt = MakeCheckpoint(100, seed: 1);
            store.SaveCheckpoint(id, ckpt);
            string file = Path.Combine(dir.Path, id.ToString(), "ckpt-100.safetensors");
            Assert.True(File.Exists(file));
            AssertSame(ckpt, store.LatestCheckpoint(id));
            // The step and run id are also in the file's own metadata, for tools reading it without the database.
            var (_, meta) = ResearchKit.Tensors.Serialization.SafeTensors.LoadWithMetadata(file);
            Assert.Equal("100", meta[SqliteRunStore.StepMetadataKey]);
            Assert.Equal(id.ToString(), meta[SqliteRunStore.RunIdMetadataKey]);
            Assert.Empty(warnings);
            // No temp files left behind.
            Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, id.ToString())));
        }
    }

    [Fact]
    public void SaveCheckpoint_KeepsTheNewestTwo()
    {
        var (dir, store, id, _) = NewRun();
        using (dir)
        using (store)
        {
            for (long step = 10; step <= 50; step += 10) store.SaveCheckpoint(id, MakeCheckpoint(step, (int)step));
            Assert.Equal(new long[] { 50, 40 }, store.CheckpointSteps(id));
            Assert.Equal(new[] { "ckpt-40.safetensors", "ckpt-50.safetensors" },
                Directory.GetFiles(store.RunDirectory(id)).Select(Path.GetFileName).Order());
            AssertSame(MakeCheckpoint(50, 50), store.LatestCheckpoint(id));

            store.KeepCheckpoints = 3;
            store.SaveCheckpoint(id, MakeCheckpoint(60, 60));
            Assert.Equal(new long[] { 60, 50, 40 }, store.CheckpointSteps(id));
            // Re-saving the same step replaces it in place.
            store.SaveCheckpoint(id, MakeCheckpoint(60, 61));
            Assert.Equal(new long[] { 60, 50, 40 }, store.CheckpointSteps(id));
            AssertSame(MakeCheckpoint(60, 61), store.LatestCheckpoint(id));
        }
    }

    /// <summary>Saves checkpoints at steps 100 and 200 (the fallback pair of the corruption tests); returns the newest's path.</summary>
    private static string SaveStepsHundredAndTwoHundred(SqliteRunStore store, long id)
    {
        store.SaveCheckpoint(id, MakeCheckpoint(100, 1));
        store.SaveCheckpoint(id, MakeCheckpoint(200, 2));
        return Path.Combine(store.RunDirectory(id), "ckpt-200.safetensors");
    }

    /// <summary>Start of the tensor data region: after the 8-byte length prefix and the JSON header.</summary>
    internal static long DataStart(string file)
    {
        using var fs = File.OpenRead(file);
        var prefix = new byte[8];
        fs.ReadExactly(prefix);
        return 8 + (long)BitConverter.ToUInt64(prefix);
    }

    /// <summary>Flips random bits in random bytes of the tensor data region (the header stays valid, so only a checksum can tell).</summary>
    internal static void FlipDataBytes(string file, int seed, int count = 4)
    {
        long start = DataStart(file);
        var bytes = File.ReadAllBytes(file);
        Assert.True(bytes.Length > start, "the checkpoint has no tensor data to corrupt");
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int at = (int)(start + rng.NextInt64(bytes.Length - start));
            bytes[at] ^= (byte)(1 << rng.Next(8));
        }
        File.WriteAllBytes(file, bytes);
    }

    [Fact]
    public void TruncatedNewestCheckpoint_FallsBackToPrevious_MovesItAside_AndIsNotOfferedAgain()
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            string newest = SaveStepsHundredAndTwoHundred(store, id);
            using (var fs = new FileStream(newest, FileMode.Open)) fs.SetLength(fs.Length / 2); // truncated write / disk problem

            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            var warning = Assert.Single(warnings);
            Assert.Contains("step 200", warning);
            Assert.Contains("ckpt-200.safetensors", warning);
            Assert.Contains("truncated", warning);
            Assert.Contains("falling back: resuming from step 100", warning);
            // Kept for inspection, no longer recorded: a retry does not meet it again.
            Assert.False(File.Exists(newest));
            Assert.True(File.Exists(newest + ".corrupt"));
            Assert.Equal(new long[] { 100 }, store.CheckpointSteps(id));
            warnings.Clear();
            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            Assert.Empty(warnings);

            // Training continues from step 100; its next checkpoints are recorded as usual.
            store.SaveCheckpoint(id, MakeCheckpoint(150, 3));
            Assert.Equal(new long[] { 150, 100 }, store.CheckpointSteps(id));
            AssertSame(MakeCheckpoint(150, 3), store.LatestCheckpoint(id));

            // A missing file is skipped and forgotten the same way.
            File.Delete(Path.Combine(store.RunDirectory(id), "ckpt-150.safetensors"));
            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            Assert.Contains("missing", Assert.Single(warnings));
            Assert.Equal(new long[] { 100 }, store.CheckpointSteps(id));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FlippedBytesInTensorData_FailTheChecksum_AndFallBackToThePreviousCheckpoint(int seed)
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            string newest = SaveStepsHundredAndTwoHundred(store, id);
            FlipDataBytes(newest, seed);
            // The format itself cannot see it: the file still parses.
            _ = ResearchKit.Tensors.Serialization.SafeTensors.LoadWithMetadata(newest);
            var ex = Assert.Throws<CheckpointCorruptException>(() => CheckpointFile.Read(newest));
            Assert.Equal(newest, ex.FilePath);
            Assert.Contains("checksum", ex.Message);
            Assert.Contains("--restart", ex.Message);

            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            var warning = Assert.Single(warnings);
            Assert.Contains($"'{newest}' (step 200) is corrupt", warning);
            Assert.Contains("checksum", warning);
            Assert.Contains("kept aside as 'ckpt-200.safetensors.corrupt'", warning);
            Assert.Contains("resuming from step 100", warning);
            Assert.True(File.Exists(newest + ".corrupt"));
            Assert.Equal(new long[] { 100 }, store.CheckpointSteps(id));
        }
    }

    [Fact]
    public void GarbageInTheHeader_IsCorrupt_AndFallsBack()
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            string newest = SaveStepsHundredAndTwoHundred(store, id);
            var bytes = File.ReadAllBytes(newest);
            new Random(5).NextBytes(bytes.AsSpan(8, 48)); // the JSON header's start
            File.WriteAllBytes(newest, bytes);

            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            var warning = Assert.Single(warnings);
            Assert.Contains("(step 200) is corrupt", warning);
            Assert.Contains("resuming from step 100", warning);
            Assert.True(File.Exists(newest + ".corrupt"));
        }
    }

    [Fact]
    public void ChangedMetadataThatStillParses_FailsTheChecksum()
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            string newest = SaveStepsHundredAndTwoHundred(store, id);
            var bytes = File.ReadAllBytes(newest);
            int at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf(":0.1}", StringComparison.Ordinal) + 3; // the lr inside the escaped optimizer JSON
            Assert.Equal((byte)'1', bytes[at]);
            bytes[at] = (byte)'9'; // lr 0.1 -> 0.9: valid JSON, valid safetensors
            File.WriteAllBytes(newest, bytes);

            Assert.Equal(100, store.LatestCheckpoint(id)!.Step);
            Assert.Contains("checksum", Assert.Single(warnings));
        }
    }

    [Fact]
    public void CheckpointWithoutChecksum_FromOlderCode_LoadsWithAOneLineNote()
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            store.SaveCheckpoint(id, MakeCheckpoint(100, 1));
            // Rewrite the file as the code before checksums did: same tensors and metadata, no checksum key.
            string file = Path.Combine(store.RunDirectory(id), "ckpt-100.safetensors");
            var (tensors, meta) = ResearchKit.Tensors.Serialization.SafeTensors.LoadWithMetadata(file);
            var old = meta.Where(kv => kv.Key != ResearchKit.Tensors.Serialization.SafeTensorsChecksum.MetadataKey).ToDictionary();
            Assert.NotEqual(meta.Count, old.Count);
            ResearchKit.Tensors.Serialization.SafeTensors.Save(file, tensors, old);

            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            var note = Assert.Single(warnings);
            Assert.Contains("no checksum", note);
            Assert.DoesNotContain('\n', note);
            Assert.True(File.Exists(file)); // used, not moved aside
            Assert.False(CheckpointFile.Read(file).Verified);
        }
    }

    [Fact]
    public void AllCheckpointsCorrupt_TheRunRestartsFromScratch_WithTheFilesKeptAside()
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            store.SaveCheckpoint(id, MakeCheckpoint(100, 1));
            store.SaveCheckpoint(id, MakeCheckpoint(200, 2));
            FlipDataBytes(Path.Combine(store.RunDirectory(id), "ckpt-200.safetensors"), seed: 1);
            File.WriteAllBytes(Path.Combine(store.RunDirectory(id), "ckpt-100.safetensors"), [1, 2, 3]);

            Assert.Null(store.LatestCheckpoint(id));
            Assert.Equal(3, warnings.Count);
            Assert.Contains("(step 200) is corrupt", warnings[0]);
            Assert.Contains("(step 100) is corrupt", warnings[1]);
            Assert.All(warnings.Take(2), w => Assert.Contains("restarting from step 0", w));
            Assert.Contains("no readable checkpoint", warnings[^1]);
            Assert.Empty(store.CheckpointSteps(id));
            Assert.Equal(new[] { "ckpt-100.safetensors.corrupt", "ckpt-200.safetensors.corrupt" },
                Directory.GetFiles(store.RunDirectory(id)).Select(Path.GetFileName).Order());
            // The next retry starts cleanly: nothing is offered, nothing is warned about again.
            warnings.Clear();
            Assert.Null(store.LatestCheckpoint(id));
            Assert.Empty(warnings);
        }
    }

    [Fact]
    public void SaveCheckpoint_StoresAChecksumThatMatches()
    {
        var (dir, store, id, _) = NewRun();
        using (dir)
        using (store)
        {
            store.SaveCheckpoint(id, MakeCheckpoint(7, 7));
            string file = Path.Combine(store.RunDirectory(id), "ckpt-7.safetensors");
            var doc = ResearchKit.Tensors.Serialization.SafeTensorsFile.Read(file);
            Assert.StartsWith("sha256:", doc.Metadata[ResearchKit.Tensors.Serialization.SafeTensorsChecksum.MetadataKey]);
            Assert.Equal(ResearchKit.Tensors.Serialization.SafeTensorsChecksumStatus.Verified,
                ResearchKit.Tensors.Serialization.SafeTensorsChecksum.Check(doc, out _, out _));
            Assert.True(CheckpointFile.Read(file).Verified);
            var reserved = new Checkpoint(8, new Dictionary<string, Tensor>(), new Dictionary<string, string> { [ResearchKit.Tensors.Serialization.SafeTensorsChecksum.MetadataKey] = "x" });
            Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => store.SaveCheckpoint(id, reserved)).Message);
        }
    }

    [Fact]
    public void CheckpointFromAnotherStep_IsRejected()
    {
        // A file whose recorded step disagrees with its row (e.g. copied over by hand) is not silently used.
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            store.SaveCheckpoint(id, MakeCheckpoint(1, 1));
            store.SaveCheckpoint(id, MakeCheckpoint(2, 2));
            File.Copy(Path.Combine(store.RunDirectory(id), "ckpt-1.safetensors"), Path.Combine(store.RunDirectory(id), "ckpt-2.safetensors"), overwrite: true);
            Assert.Equal(1, store.LatestCheckpoint(id)!.Step);
            Assert.Contains("expected 2", Assert.Single(warnings));
            Assert.Equal(new long[] { 1 }, store.CheckpointSteps(id));
        }
    }

    [Fact]
    public void SaveCheckpoint_ValidatesInput()
    {
        var (dir, store, id, _) = NewRun();
        using (dir)
        using (store)
        {
            var reserved = new Checkpoint(1, new Dictionary<string, Tensor>(), new Dictionary<string, string> { [SqliteRunStore.StepMetadataKey] = "1" });
            Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => store.SaveCheckpoint(id, reserved)).Message);
            Assert.Contains("negative", Assert.Throws<ArgumentException>(() => store.SaveCheckpoint(id, MakeCheckpoint(-1, 1))).Message);
            Assert.Throws<KeyNotFoundException>(() => store.SaveCheckpoint(id + 100, MakeCheckpoint(1, 1)));
            Assert.False(Directory.Exists(store.RunDirectory(id + 100)));
            Assert.Empty(store.CheckpointSteps(id));
        }
    }

    [Fact]
    public void Delete_RefusesARunLeasedByALiveProcess_AndDeleteConfigRemovesExactlyThatConfig()
    {
        using var dir = new TempRunsDir();
        using var trainer = SqliteRunStore.Open(dir.Path);
        var cfg = SqliteRunStoreTests.Config(1);
        long id = trainer.StartOrResume(cfg.Hash, cfg.Json).Id;
        trainer.SaveCheckpoint(id, MakeCheckpoint(1, 1));
        var other = SqliteRunStoreTests.Config(2);
        long otherId = trainer.StartOrResume(other.Hash, other.Json).Id;
        trainer.Complete(otherId, new Dictionary<string, double>());

        using var cli = SqliteRunStore.Open(dir.Path);
        cli.Owner = new RunOwner("other-host", 4242, 1); // another process (its owner is alive: heartbeat just now)
        var ex = Assert.Throws<RunLeasedException>(() => cli.Delete(id));
        Assert.Contains("is being trained by process", ex.Message);
        Assert.Throws<RunLeasedException>(() => cli.DeleteConfig(cfg.Hash));
        Assert.NotNull(cli.Get(id));
        Assert.Single(cli.CheckpointSteps(id));

        trainer.Complete(id, new Dictionary<string, double> { ["acc"] = 1 });
        Assert.Equal(new[] { id }, cli.DeleteConfig(cfg.Hash));
        Assert.Null(cli.Get(id));
        Assert.False(Directory.Exists(cli.RunDirectory(id)));
        Assert.NotNull(cli.Get(otherId));
        Assert.Empty(cli.DeleteConfig(cfg.Hash));
    }

    [Fact]
    public void Delete_RemovesCheckpointsAndDirectory()
    {
        var (dir, store, id, _) = NewRun();
        using (dir)
        using (store)
        {
            store.SaveCheckpoint(id, MakeCheckpoint(1, 1));
            store.LogMetrics(id, [new(1, "x", 1)]);
            Assert.True(store.Delete(id));
            Assert.False(Directory.Exists(store.RunDirectory(id)));
            Assert.Empty(store.CheckpointSteps(id));
            Assert.Empty(store.Metrics(id));
            Assert.Null(store.Get(id));
        }
    }
}
