using System.Text.Json.Serialization;
using ResShift.Daemon.Status;

namespace ResShift.Daemon.Http;

/// <summary>/v1/status body: snake_case keys; queue names (dictionary keys) are kept as they are.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(StatusSnapshot))]
internal sealed partial class StatusJson : JsonSerializerContext;
