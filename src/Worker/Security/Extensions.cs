using Microsoft.Extensions.Options;

namespace Avatar.Worker.Security;

public static class Extensions
{
    /// <summary>The keys that seal byted tokens at rest (section <c>Avatar:TokenEncryption</c>); the worker does not start without one.</summary>
    public static IServiceCollection AddTokenEncryption(this IServiceCollection services)
    {
        services.AddOptions<TokenEncryptionOptions>()
            .BindConfiguration(TokenEncryptionOptions.Section)
            .PostConfigure(o => o.Keys = SecretFile.Read(o.KeysFile, o.Keys ?? "", "Avatar:TokenEncryption:KeysFile"))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenEncryptionOptions>, TokenEncryptionOptions.Validator>();
        services.AddSingleton<TokenProtector>();
        return services;
    }
}
