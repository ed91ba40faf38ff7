namespace ResearchKit.Tensors.Devices;

/// <summary>
/// A tensor's elements in a device's memory, owned by its <see cref="DeviceBackend"/>. Every view of a device tensor shares
/// one storage object, as on the CPU; the backend gets the memory back when the last of them is collected.
/// </summary>
public abstract class DeviceStorage
{
    /// <summary>The backend that holds the memory.</summary>
    public abstract DeviceBackend Backend { get; }

    /// <summary>Number of elements.</summary>
    public abstract long Length { get; }

    /// <summary>Element type: Float32, or Int64 (class labels; kept as 32-bit integers on the device).</summary>
    public abstract DType DType { get; }

    /// <summary>The device the memory is on.</summary>
    public Device Device => Backend.Device;

    /// <summary>
    /// For class labels uploaded from the host: their smallest and largest value, known without reading the device back, so
    /// the ops that check labels (cross-entropy, one-hot, embedding) need no device-to-host copy in the middle of a step.
    /// Null for storages a kernel wrote (e.g. argmax indices); any view of the storage lies within it.
    /// </summary>
    public (long Min, long Max)? KnownLabelRange { get; internal set; }
}
