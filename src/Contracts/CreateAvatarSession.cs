namespace Avatar.Contracts;

/// <summary>Command: open an H5 verification session for a real person.</summary>
/// <param name="SessionId">Caller-chosen id; the idempotency key of the session.</param>
/// <param name="CallbackUrl">Where xcompute sends the person's browser once the H5 page is done.</param>
/// <param name="ProjectName">xcompute project; <c>default</c> when null.</param>
public record CreateAvatarSession(Guid SessionId, string CallbackUrl, string? ProjectName);
