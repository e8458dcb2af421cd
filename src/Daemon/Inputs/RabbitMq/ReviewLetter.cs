using System.Globalization;
using RabbitMQ.Client;

namespace ResShift.Daemon.Inputs.RabbitMq;

/// <summary>
/// The copy of a message whose output is held for review that goes to <c>&lt;queue&gt;.review</c>: the original
/// body and properties, plus headers with the figures, the reason and where the output was written. A reviewer
/// approves by moving that file to the requested output (or republishing the body to the work queue).
/// </summary>
public static class ReviewLetter
{
    public const string PsnrHeader = "x-resshift-psnr-db";
    public const string SsimHeader = "x-resshift-ssim";
    public const string MethodHeader = "x-resshift-fidelity-method";
    public const string ReasonHeader = "x-resshift-review-reason";
    public const string HeldOutputHeader = "x-resshift-review-output";

    public static BasicProperties Properties(Delivery d, JobOutcome o, string queue)
    {
        Dictionary<string, object?> headers = DeadLetter.CopiedHeaders(d);
        if (o.Report?.Fidelity is { } f)
        {
            // Header values as text: AMQP tables carry doubles, but not every client library reads them back alike.
            headers[PsnrHeader] = f.PsnrDb.ToString("F4", CultureInfo.InvariantCulture);
            headers[SsimHeader] = f.Ssim.ToString("F6", CultureInfo.InvariantCulture);
            headers[MethodHeader] = f.Method;
        }
        headers[ReasonHeader] = o.Error ?? "below the fidelity threshold";
        headers[HeldOutputHeader] = o.HeldOutput;
        headers[DeadLetter.QueueHeader] = queue;
        if (o.Id is not null) headers[DeadLetter.IdHeader] = o.Id;
        return DeadLetter.CopyProperties(d, headers);
    }
}
