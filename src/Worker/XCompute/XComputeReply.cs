using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Avatar.Worker.XCompute;

/// <summary>Either xcompute's <c>data</c> object or the reason there is none.</summary>
public readonly record struct XComputeReply(JsonElement Data, XComputeFailure? Failure)
{
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Failure is null;

    /// <summary>How long the call took, from sending the request to reading the whole answer (zero when it was never sent).</summary>
    public TimeSpan RoundTrip { get; init; }

    public static XComputeReply Success(JsonElement data) => new(data, null);

    public static XComputeReply Failed(XComputeFailure failure) => new(default, failure);
}
