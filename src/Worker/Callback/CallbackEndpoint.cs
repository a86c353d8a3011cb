using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Avatar.Persistence;
using Avatar.Worker.Security;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Callback;

/// <summary>
/// Receives the person's browser back from the H5 page (a GET, or a server's POST, with upstream's <c>bytedToken</c> and
/// <c>resultCode</c> in the query): checks the link's signature and expiry, that it arrived over https, that the token is
/// the session's own, and that it is used once; then hands the result to the worker's consumers and sends the browser on
/// to the caller's own callback URL with <c>sessionId</c> and <c>outcome</c> (<c>completed</c> or <c>failed</c>).
/// Anything else gets 403 and changes nothing.
/// </summary>
internal static partial class CallbackEndpoint
{
    /// <summary>Upstream's <c>resultCode</c> for a person who passed.</summary>
    public const string Passed = "10000";

    public static WebApplication MapAvatarCallback(this WebApplication app)
    {
        if (app.Services.GetRequiredService<CallbackLinks>().Enabled)
        {
            app.MapMethods($"{CallbackLinks.Path}/{{sessionId:guid}}", [HttpMethods.Get, HttpMethods.Post], ReceiveAsync);
        }

        return app;
    }

    private static async Task<IResult> ReceiveAsync(
        Guid sessionId, HttpRequest request, [FromServices] CallbackLinks links, [FromServices] IOptions<CallbackOptions> options,
        [FromServices] AvatarDbContext db, [FromServices] TokenProtector tokens, [FromServices] IPublishEndpoint bus,
        [FromServices] ILogger<CallbackLinks> logger, CancellationToken cancellationToken)
    {
        string? Query(string name) => request.Query[name] is { Count: 1 } values ? values[0] : null;
        IResult Refuse(string problem)
        {
            logger.LogWarning("Refused the H5 callback for session {SessionId} from {RemoteIp}: {Problem}", sessionId, request.HttpContext.Connection.RemoteIpAddress, problem);
            return Results.Text($"This link cannot be used: {problem}.", statusCode: StatusCodes.Status403Forbidden);
        }

        if (links.Problem(sessionId, Query("kid"), Query("exp"), Query("sig")) is { } problem)
        {
            return Refuse(problem);
        }

        if (options.Value.PublicBaseUrl!.Scheme == Uri.UriSchemeHttps && !request.IsHttps)
        {
            // Behind a proxy that ends TLS, its X-Forwarded-Proto counts when it is a trusted proxy (PublicPort).
            return Refuse("it arrived over plain http, and the byted token must not");
        }

        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is not { State: SessionState.AwaitingVerification, CallbackAt: null })
        {
            return Refuse("it was used already, or its session is over");
        }

        // Exactly one bytedToken, the session's own: without it, anyone holding the link could end the session.
        if (Query("bytedToken") is not { } presented
            || !(session.BytedToken is { } stored && tokens.TryUnprotect(sessionId, stored, out var token, out _)
                && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(presented))))
        {
            return Refuse("the byted token is missing, repeated, or not this session's");
        }

        // One use: of two requests at once, the first to mark the session wins.
        var marked = await db.Sessions
            .Where(s => s.Id == sessionId && s.State == SessionState.AwaitingVerification && s.CallbackAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.CallbackAt, DateTimeOffset.UtcNow).SetProperty(x => x.Version, x => x.Version + 1), cancellationToken);
        if (marked == 0)
        {
            return Refuse("it was used already, or its session is over");
        }

        var resultCode = Query("resultCode") ?? "";
        var passed = resultCode == Passed;
        try
        {
            await bus.Publish(new H5CallbackReceived(sessionId, passed, ShortNumber().IsMatch(resultCode) ? resultCode : ""), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The broker is away: the link stays usable, and the browser may try again.
            logger.LogWarning(exception, "Could not hand on the H5 callback for session {SessionId}; the link stays usable", sessionId);
            await db.Sessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(s => s.SetProperty(x => x.CallbackAt, (DateTimeOffset?)null), CancellationToken.None);
            return Results.Text("Try again in a moment.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        logger.LogInformation("Session {SessionId}: the person came back from the H5 page ({Outcome})", sessionId, passed ? "passed" : "failed");
        return Results.Redirect(QueryHelpers.AddQueryString(session.CallbackUrl, new Dictionary<string, string?>
        {
            ["sessionId"] = sessionId.ToString(),
            ["outcome"] = passed ? "completed" : "failed",
        }));
    }

    [GeneratedRegex("^[0-9]{1,10}$")]
    private static partial Regex ShortNumber();
}
