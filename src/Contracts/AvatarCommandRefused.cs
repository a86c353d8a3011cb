namespace Avatar.Contracts;

/// <summary>
/// Event: a command was not applied because it does not fit the flow it names: an id reused with other content, a
/// completion for a session nobody knows, that is still being created or whose creation failed. <b>Not an outcome</b>:
/// the flow it names, if any, goes on (or has ended) exactly as without it, and still ends in its own one outcome event.
/// Match it to the command you sent by <paramref name="MessageId"/>.
/// </summary>
/// <param name="CommandType">The refused command's type name, such as <c>SubmitAvatarAssets</c>.</param>
/// <param name="FlowId">The session or submission id the command named.</param>
/// <param name="MessageId">The refused message's MassTransit <c>MessageId</c>, when it had one.</param>
/// <param name="ErrorCode">
/// <see cref="AvatarErrorCodes.IdReused"/>, <see cref="AvatarErrorCodes.UnknownFlow"/>,
/// <see cref="AvatarErrorCodes.FlowNotReady"/>, <see cref="AvatarErrorCodes.FlowEnded"/>, or
/// <see cref="AvatarErrorCodes.InvalidRequest"/> for an <c>AvatarAuthCompleted</c> that cannot be read.
/// </param>
/// <param name="Reason">What was wrong, for people; never parse it. It never repeats the command's content.</param>
public record AvatarCommandRefused(string CommandType, Guid FlowId, Guid? MessageId, string ErrorCode, string Reason);
