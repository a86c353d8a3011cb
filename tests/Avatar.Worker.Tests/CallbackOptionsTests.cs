using Avatar.Worker.Callback;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>What the callback receiver accepts as its settings: off by default, https, and a key to sign with.</summary>
public sealed class CallbackOptionsTests
{
    private static readonly string Key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private static readonly string NextKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void Without_a_public_base_url_the_receiver_is_off() =>
        Assert.False(Links(new()).Enabled);

    [Theory]
    [InlineData("https://avatar.example", null, "needs Avatar:Callback:SigningKey")]
    [InlineData("https://avatar.example", "too-short", "base64 keys of 32 random bytes")]
    [InlineData("https://avatar.example", "0123456789abcdef0123456789abcdef", "base64 keys of 32 random bytes")] // 32 characters, 24 bytes
    [InlineData("http://avatar.example", "KEY", "must be an absolute https URL")]
    public void A_receiver_without_https_or_a_strong_signing_key_stops_the_start(string url, string? key, string reason)
    {
        key = key == "KEY" ? Key : key;
        var refused = Assert.Throws<OptionsValidationException>(() => Links(new() { ["Avatar:Callback:PublicBaseUrl"] = url, ["Avatar:Callback:SigningKey"] = key }));

        Assert.Contains(reason, refused.Message);
    }

    [Fact]
    public void A_link_opens_for_its_session_only_and_until_its_expiry()
    {
        var links = Links(new() { ["Avatar:Callback:PublicBaseUrl"] = "http://127.0.0.1:8080/", ["Avatar:Callback:SigningKey"] = Key });
        var session = Guid.NewGuid();
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(links.For(session, DateTimeOffset.UtcNow.AddMinutes(1))).Query);

        Assert.Null(links.Problem(session, query["kid"], query["exp"], query["sig"]));
        Assert.Equal("the link's signature does not match", links.Problem(Guid.NewGuid(), query["kid"], query["exp"], query["sig"]));
        Assert.Equal("the link's signature does not match", links.Problem(session, query["kid"], query["exp"], null));
        Assert.Equal("the link's signature does not match", links.Problem(session, "00000000", query["exp"], query["sig"]));
        var old = System.Web.HttpUtility.ParseQueryString(new Uri(links.For(session, DateTimeOffset.UtcNow.AddMinutes(-1))).Query);
        Assert.Equal("the link expired", links.Problem(session, old["kid"], old["exp"], old["sig"]));
    }

    [Fact]
    public void A_link_signed_before_a_rotation_opens_while_its_key_is_still_listed()
    {
        var before = Links(new() { ["Avatar:Callback:PublicBaseUrl"] = "http://127.0.0.1:8080/", ["Avatar:Callback:SigningKey"] = Key });
        var session = Guid.NewGuid();
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(before.For(session, DateTimeOffset.UtcNow.AddMinutes(1))).Query);

        var during = Links(new() { ["Avatar:Callback:PublicBaseUrl"] = "http://127.0.0.1:8080/", ["Avatar:Callback:SigningKey"] = $"{NextKey}\n{Key}" });
        var after = Links(new() { ["Avatar:Callback:PublicBaseUrl"] = "http://127.0.0.1:8080/", ["Avatar:Callback:SigningKey"] = NextKey });

        Assert.Null(during.Problem(session, query["kid"], query["exp"], query["sig"]));
        Assert.NotEqual(query["kid"], System.Web.HttpUtility.ParseQueryString(new Uri(during.For(session, DateTimeOffset.UtcNow.AddMinutes(1))).Query)["kid"]);
        Assert.Equal("the link's signature does not match", after.Problem(session, query["kid"], query["exp"], query["sig"]));
    }

    private static CallbackLinks Links(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddAvatarCallback();
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<CallbackOptions>>().Value;
        return provider.GetRequiredService<CallbackLinks>();
    }
}
