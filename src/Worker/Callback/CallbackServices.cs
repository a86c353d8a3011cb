using Avatar.Worker.Hosting;
using Avatar.Worker.Security;

namespace Avatar.Worker.Callback;

public static class CallbackServices
{
    private const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>The H5 callback receiver's settings and links (section <c>Avatar:Callback</c>); off without a public base URL.</summary>
    public static IServiceCollection AddAvatarCallback(this IServiceCollection services)
    {
        // ASP.NET Core logs each request's URL at Information, and a callback's query holds the byted token. Whatever
        // the configuration says, for every provider it names, those lines stay below the threshold: a rule per
        // provider, more specific than any it has, added after them all.
        services.PostConfigure<LoggerFilterOptions>(options =>
        {
            foreach (var provider in options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList())
            {
                options.Rules.Add(new LoggerFilterRule(provider, RequestLogCategory, LogLevel.Warning, null));
            }
        });

        services.AddSettings<CallbackOptions>(CallbackOptions.Section)
            .PostConfigure(o => o.SigningKey = SecretFile.Read(o.SigningKeyFile, o.SigningKey ?? "", "Avatar:Callback:SigningKeyFile") is { Length: > 0 } key ? key : null)
            .Validate(o => o.PublicBaseUrl is null || o.SigningKey is not null, "Avatar:Callback:PublicBaseUrl needs Avatar:Callback:SigningKey (or SigningKeyFile) to sign its links.")
            .Validate(
                o => o.SigningKey is null || KeyRing.TryParse(o.SigningKey, "Avatar:Callback:SigningKey", out _, out _),
                "Avatar:Callback:SigningKey must be base64 keys of 32 random bytes, one per line (make one with: openssl rand -base64 32).")
            .Validate(
                o => o.PublicBaseUrl is null || o.PublicBaseUrl.IsAbsoluteUri && (o.PublicBaseUrl.Scheme == Uri.UriSchemeHttps || o.PublicBaseUrl.IsLoopback && o.PublicBaseUrl.Scheme == Uri.UriSchemeHttp),
                "Avatar:Callback:PublicBaseUrl must be an absolute https URL (http only for loopback): browsers bring the byted token to it.")
            .Validate(
                o => o.TrustedProxies.All(p => System.Net.IPNetwork.TryParse(p, out _) || System.Net.IPAddress.TryParse(p, out _)),
                "Avatar:Callback:TrustedProxies must be IP addresses or networks (10.0.0.5, 10.0.0.0/24).")
            .Validate<IConfiguration>(
                (_, configuration) => !configuration.GetValue<bool>("ForwardedHeaders_Enabled"),
                "ASPNETCORE_FORWARDEDHEADERS_ENABLED trusts X-Forwarded-* from every client; unset it and list the reverse proxies in Avatar:Callback:TrustedProxies.");
        services.AddSingleton<CallbackLinks>();
        return services;
    }
}
