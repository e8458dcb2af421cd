using ResShift.Engines.Cuda.Native;

namespace ResShift.Engines.Cuda;

/// <summary>One GPU as the driver reports it. Reading any property loads libcuda.so.1 and runs cuInit.</summary>
public sealed record CudaDevice(int Ordinal, string Name, int ComputeMajor, int ComputeMinor, ulong TotalMemoryBytes)
{
    private const int AttributeComputeMajor = 75; // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    private const int AttributeComputeMinor = 76;

    /// <summary>"8.9" style.</summary>
    public string ComputeCapability => $"{ComputeMajor}.{ComputeMinor}";

    /// <summary>The driver's CUDA version as an int, e.g. 12040 for 12.4.</summary>
    public static int DriverVersion() => CudaNativeMethods.DriverVersion();

    public static int Count() => CudaNativeMethods.DeviceCount();

    public static CudaDevice Get(int ordinal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        int d = CudaNativeMethods.Device(ordinal);
        return new CudaDevice(ordinal, CudaNativeMethods.DeviceName(d),
            CudaNativeMethods.DeviceAttribute(d, AttributeComputeMajor), CudaNativeMethods.DeviceAttribute(d, AttributeComputeMinor),
            CudaNativeMethods.DeviceTotalMemory(d));
    }

    /// <summary>
    /// Whether the GPU path can run here, without throwing: the driver loads, cuInit succeeds and a device exists.
    /// <paramref name="reason"/> says why not (used by --engine auto to log its CPU fallback).
    /// </summary>
    public static bool TryProbe(out CudaDevice? device, out string reason)
    {
        device = null;
        try
        {
            if (Count() < 1)
            {
                reason = "the NVIDIA driver loaded but reports no GPU";
                return false;
            }
            device = Get(0);
            reason = $"GPU 0: {device.Name} (compute {device.ComputeCapability})";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CudaException)
        {
            reason = e.Message;
            return false;
        }
    }
}
