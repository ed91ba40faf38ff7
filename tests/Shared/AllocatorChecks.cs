using System.Runtime.CompilerServices;

namespace ResearchKit.TestSupport;

/// <summary>
/// Turns on the caching allocator's debug checks for every test in the assembly: uninitialized storage is NaN-filled (so
/// an op that reads what it did not write fails its test instead of passing on recycled values), and engine code that
/// wraps a lent array without its storage throws. Every storage is pooled (not only large ones), whatever the shapes
/// (adaptive caching off), and a collection runs at every safe point after 1 MiB of loans, so arrays are recycled between
/// the ops of a test as often as possible.
/// </summary>
internal static class AllocatorChecks
{
    [ModuleInitializer]
    internal static void Enable()
    {
        ResearchKit.Tensors.CachingAllocator.DebugChecks = true;
        ResearchKit.Tensors.CachingAllocator.MinElements = 1;
        ResearchKit.Tensors.CachingAllocator.CollectThresholdBytes = 1 << 20;
        // Cache whatever the shapes, so storage is recycled between the ops of every test (the adaptive rule is tested on its own).
        ResearchKit.Tensors.CachingAllocator.AdaptiveCaching = false;
    }
}
