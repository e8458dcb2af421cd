using System.Text.Json;
using System.Text.Json.Nodes;
using ResShift.Daemon.Configuration;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Codec;
using ResShift.Pipeline.Video.Jobs;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Daemon.Inputs.Video;

/// <summary>
/// The last steps of a video restored into the spool: the container (<see cref="ContainerRemux"/>: a remux inside
/// the spool when the input's own container can hold the result), the sidecar completed with the container decision
/// and the effective video settings, then output and sidecar moved into outbox/ through its handle, never over a
/// file (a taken name gets clip-2.mp4, like images). <paramref name="spool"/> is the spool folder holding the output
/// (named through its descriptor in the result), so the output is moved from it by name.
/// </summary>
public sealed class VideoDelivery(RootDirectory spool, RootDirectory outbox, FfmpegTools tools)
{
    /// <summary>The job's own sidecar, read back through the spool's handle: a few KB (its command lines included).</summary>
    private const long SidecarLimit = 4 << 20;

    /// <summary>Delivers <paramref name="result"/> (its output and sidecar in the spool); the name it got in outbox/.</summary>
    /// <param name="outputStem">The output's path in outbox/ without extension (the container decides it).</param>
    public async Task<string> DeliverAsync(VideoResult result, string sidecarInSpool, string inputName, string outputStem, VideoSettings settings, CancellationToken ct)
    {
        RemuxedVideo remux = await ContainerRemux.ApplyAsync(settings.ContainerMode, result.Probe.FormatName, inputName, result.OutputPath,
            result.OutputProbe, tools, ct).ConfigureAwait(false);
        ContainerChoice choice = remux.Choice;
        string produced = remux.Path;
        IReadOnlyList<string> commands = remux.CommandLines;

        string spoolRelative = Path.GetFileName(produced);
        for (int n = 1; ; n++)
        {
            string name = outputStem + choice.Container.Extension;
            if (n > 1) name = RelativeNames.Variant(name, n);
            if (outbox.Stat(name) is not null || outbox.Stat(name + ProvenanceFile.Suffix) is not null) continue;
            byte[] sidecar = Complete(spool.ReadAllBytes(Path.GetFileName(sidecarInSpool), SidecarLimit), Path.GetFileName(name), choice, settings, commands);
            switch (spool.Move(spoolRelative, outbox, name))
            {
                case MoveResult.Moved:
                    await outbox.WriteAtomicAsync(name + ProvenanceFile.Suffix, (s, c) => s.WriteAsync(sidecar, c).AsTask(), replace: true, ct).ConfigureAwait(false);
                    File.Delete(sidecarInSpool);
                    return name;
                case MoveResult.SourceMissing:
                    throw new IOException($"{produced}: the restored video vanished from the spool before delivery");
            }
            if (n > 10_000) throw new IOException($"{outputStem}: no free name in {outbox}");
        }
    }


    /// <summary>The job's sidecar with the delivered name, the container decision and the video settings added.</summary>
    public static byte[] Complete(byte[] sidecar, string deliveredName, ContainerChoice choice, VideoSettings settings, IEnumerable<string> commands)
    {
        JsonNode doc = JsonNode.Parse(sidecar) ?? throw new InvalidDataException("empty video sidecar");
        if (doc["output"] is JsonObject output) output["name"] = deliveredName;
        // The video's own fields are in its kind block (ProvenanceSidecar).
        JsonObject block = doc["video"] as JsonObject ?? throw new InvalidDataException("a video sidecar without its \"video\" block");
        if (block["encoder"] is JsonObject encoder) encoder["container"] = choice.Container.Muxer;
        var container = new JsonObject
        {
            ["mode"] = choice.Mode.ToString().ToLowerInvariant(),
            ["input"] = choice.InputContainer,
            ["chosen"] = choice.Container.Name,
            ["fallback_reasons"] = new JsonArray([.. choice.FallbackReasons.Select(r => JsonValue.Create(r))]),
        };
        block["container"] = container;
        var video = new JsonObject();
        foreach (var (key, value) in settings.Describe()) video[key] = value;
        block["settings"] = video;
        if (block["command_lines"] is JsonArray lines)
            foreach (string c in commands) lines.Add(c);
        return ProvenanceSidecar.Serialize(doc);
    }
}
