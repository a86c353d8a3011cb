namespace Avatar.Contracts;

/// <summary>
/// Request: where does the flow <paramref name="Id"/> stand? Any worker instance answers from its database, with
/// <see cref="AvatarStatus"/>, or <see cref="AvatarStatusNotFound"/> for an id the worker does not know or that another
/// caller opened. Send it with MassTransit's request client (RabbitMQ's direct reply-to works: the worker answers to the
/// AMQP <c>reply-to</c>); it changes nothing, so ask as often as you like, and again after a timeout.
/// </summary>
/// <param name="Id">A <see cref="CreateAvatarSession.SessionId"/> or a <see cref="SubmitAvatarAssets.SubmissionId"/>.</param>
public record GetAvatarStatus(Guid Id);
