namespace Avatar.Worker.Callback;

/// <summary>
/// The worker's own message (not a contract): a person's browser came back from the H5 page to a signed callback link.
/// Consumed beside <c>AvatarAuthCompleted</c>, on its endpoint: success starts step 2 exactly as that command would.
/// </summary>
/// <param name="SessionId">The session whose link was followed.</param>
/// <param name="Passed">Upstream's <c>resultCode</c> was <c>10000</c>.</param>
/// <param name="ResultCode">Upstream's <c>resultCode</c> when it is a short number, else empty.</param>
public record H5CallbackReceived(Guid SessionId, bool Passed, string ResultCode);
