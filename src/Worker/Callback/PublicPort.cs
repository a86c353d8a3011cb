using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Callback;

/// <summary>
/// With the receiver on, the worker listens on two ports: the public one (<see cref="CallbackOptions.Port"/>, behind
/// the reverse proxy) serves the callback path and nothing else, and the management port (<c>ASPNETCORE_URLS</c>, 8080)
/// serves health and metrics and never the callback. Forwarded headers count only from loopback and the proxies the
/// configuration lists (<see cref="CallbackOptions.TrustedProxies"/>); anyone else's are ignored.
/// </summary>
/// <remarks>
/// ASP.NET Core's own switch, <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>, trusts every client's <c>X-Forwarded-*</c>; the
/// worker refuses to start with it (see <see cref="CallbackServices.AddAvatarCallback"/>).
/// </remarks>
internal static class PublicPort
{
    /// <summary>Adds the public port to whatever the management listens on.</summary>
    public static void Listen(WebApplicationBuilder builder, string managementUrls)
    {
        var options = builder.Configuration.GetSection(CallbackOptions.Section).Get<CallbackOptions>() ?? new();
        if (options.PublicBaseUrl is not null)
        {
            builder.WebHost.UseUrls([.. managementUrls.Split(';', StringSplitOptions.RemoveEmptyEntries), $"http://{options.ListenAddress}:{options.Port}"]);
        }
        else
        {
            builder.WebHost.UseUrls(managementUrls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    /// <summary>The forwarded headers of trusted proxies, and each port to its own paths.</summary>
    public static WebApplication SeparatePorts(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<CallbackOptions>>().Value;
        if (options.PublicBaseUrl is null)
        {
            return app;
        }

        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        foreach (var proxy in options.TrustedProxies)
        {
            if (System.Net.IPNetwork.TryParse(proxy, out var network))
            {
                forwarded.KnownIPNetworks.Add(network);
            }
            else
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        }

        app.UseForwardedHeaders(forwarded);
        app.Use((context, next) =>
        {
            var onPublicPort = context.Connection.LocalPort == options.Port;
            var isCallback = context.Request.Path.StartsWithSegments(CallbackLinks.Path);
            if (onPublicPort != isCallback)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        return app;
    }
}
