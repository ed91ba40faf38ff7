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

    [Fact]
    public void CorruptNewestCheckpoint_FallsBackToPreviousWithWarning()
    {
        var (dir, store, id, warnings) = NewRun();
        using (dir)
        using (store)
        {
            store.SaveCheckpoint(id, MakeCheckpoint(100, 1));
            store.SaveCheckpoint(id, MakeCheckpoint(200, 2));
            string newest = Path.Combine(store.RunDirectory(id), "ckpt-200.safetensors");
            using (var fs = new FileStream(newest, FileMode.Open)) fs.SetLength(fs.Length / 2); // truncated write / disk problem

            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            var warning = Assert.Single(warnings);
            Assert.Contains("step 200", warning);
            Assert.Contains("ckpt-200.safetensors", warning);
            Assert.Contains("falling back", warning);

            // Training continues from step 100; its next checkpoint supersedes the abandoned step-200 one.
            store.SaveCheckpoint(id, MakeCheckpoint(150, 3));
            Assert.Equal(new long[] { 150, 100 }, store.CheckpointSteps(id));
            Assert.False(File.Exists(newest));
            AssertSame(MakeCheckpoint(150, 3), store.LatestCheckpoint(id));

            // A missing file is skipped the same way; with nothing readable the run restarts (null).
            File.Delete(Path.Combine(store.RunDirectory(id), "ckpt-150.safetensors"));
            AssertSame(MakeCheckpoint(100, 1), store.LatestCheckpoint(id));
            File.WriteAllBytes(Path.Combine(store.RunDirectory(id), "ckpt-100.safetensors"), [1, 2, 3]);
            warnings.Clear();
            Assert.Null(store.LatestCheckpoint(id));
            Assert.Equal(3, warnings.Count);
            Assert.Contains("no readable checkpoint", warnings[^1]);
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
