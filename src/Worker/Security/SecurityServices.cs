using Avatar.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Security;

public static class SecurityServices
{
    /// <summary>The keys that seal byted tokens at rest (section <c>Avatar:TokenEncryption</c>); the worker does not start without one.</summary>
    public static IServiceCollection AddTokenEncryption(this IServiceCollection services)
    {
        services.AddSettings<TokenEncryptionOptions>(TokenEncryptionOptions.Section)
            .PostConfigure(o => o.Keys = SecretFile.Read(o.KeysFile, o.Keys ?? "", "Avatar:TokenEncryption:KeysFile"));
        services.AddSingleton<IValidateOptions<TokenEncryptionOptions>, TokenEncryptionOptions.Validator>();
        services.AddSingleton<TokenProtector>();
        return services;
    }

    /// <summary>The start-up refusal of a broker or database on another machine without verified TLS (<see cref="ConnectionSecurity"/>).</summary>
    public static IServiceCollection AddConnectionSecurity(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<Messaging.BrokerOptions>, ConnectionSecurity.BrokerValidator>();
        services.AddOptions<Persistence.DatabaseOptions>().ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<Persistence.DatabaseOptions>, ConnectionSecurity.DatabaseValidator>();
        return services;
    }
}
