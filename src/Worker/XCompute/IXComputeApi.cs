using Refit;

namespace Avatar.Worker.XCompute;

/// <summary>
/// The xcompute endpoints. Replies are read as raw responses because their shapes vary (see <see cref="XComputeClient"/>).
/// </summary>
public interface IXComputeApi
{
    [Post("/v1/seedance2/real-avatar")]
    Task<HttpResponseMessage> CreateSessionAsync([Body] CreateSessionRequest request, CancellationToken cancellationToken);

    [Post("/v1/seedance2/real-avatar")]
    Task<HttpResponseMessage> QueryVerificationAsync([Body] VerificationQuery request, CancellationToken cancellationToken);

    [Post("/v1/seedance2/real-avatar")]
    Task<HttpResponseMessage> SubmitAssetsAsync([Body] SubmitAssetsRequest request, CancellationToken cancellationToken);

    [Get("/v1/tasks/{taskId}")]
    Task<HttpResponseMessage> GetTaskAsync(string taskId, CancellationToken cancellationToken);
}

public sealed record CreateSessionRequest(string CallbackUrl, string ProjectName);

public sealed record VerificationQuery(string BytedToken, string ProjectName)
{
    // A record prints its members; this one carries a secret.
    public override string ToString() => $"VerificationQuery {{ ProjectName = {ProjectName} }}";
}

public sealed record SubmitAssetsRequest(string GroupId, string ProjectName, string AssetType, IReadOnlyList<AssetReference> Assets);

public sealed record AssetReference(string Url, string Name);
