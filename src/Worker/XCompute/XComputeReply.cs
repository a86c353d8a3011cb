using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Avatar.Worker.XCompute;

/// <summary>Either xcompute's <c>data</c> object or the reason there is none.</summary>
public readonly record struct XComputeReply(JsonElement Data, XComputeFailure? Failure)
{
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Failure is null;

    public static XComputeReply Success(JsonElement data) => new(data, null);

    public static XComputeReply Failed(XComputeFailure failure) => new(default, failure);
}
