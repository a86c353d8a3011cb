using Avatar.Worker.Callback;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>What the callback receiver accepts as its settings: off by default, https, and a key to sign with.</summary>
public sealed class CallbackOptionsTests
{
    private const string Key = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void Without_a_public_base_url_the_receiver_is_off() =>
        Assert.False(Links(new()).Enabled);

    [Theory]
    [InlineData("https://avatar.example", null, "needs Avatar:Callback:SigningKey")]
    [InlineData("https://avatar.example", "too-short", "at least 32 characters")]
    [InlineData("http://avatar.example", Key, "must be an absolute https URL")]
    public void A_receiver_without_https_or_a_signing_key_stops_the_start(string url, string? key, string reason)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Links(new() { ["Avatar:Callback:PublicBaseUrl"] = url, ["Avatar:Callback:SigningKey"] = key }));

        Assert.Contains(reason, refused.Message);
    }

    [Fact]
    public void A_link_opens_for_its_session_only_and_until_its_expiry()
    {
        var links = Links(new() { ["Avatar:Callback:PublicBaseUrl"] = "http://127.0.0.1:8080/", ["Avatar:Callback:SigningKey"] = Key });
        var session = Guid.NewGuid();
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(links.For(session, DateTimeOffset.UtcNow.AddMinutes(1))).Query);

        Assert.Null(links.Problem(session, query["exp"], query["sig"]));
        Assert.Equal("the link's signature does not match", links.Problem(Guid.NewGuid(), query["exp"], query["sig"]));
        Assert.Equal("the link's signature does not match", links.Problem(session, query["exp"], null));
        var old = System.Web.HttpUtility.ParseQueryString(new Uri(links.For(session, DateTimeOffset.UtcNow.AddMinutes(-1))).Query);
        Assert.Equal("the link expired", links.Problem(session, old["exp"], old["sig"]));
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
