using Avatar.Worker.XCompute;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>What the worker accepts as its xcompute settings: https only, and the API key from a secret file.</summary>
public sealed class XComputeOptionsTests
{
    [Fact]
    public void Plain_http_is_refused_unless_the_development_switch_allows_it()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Options(new() { ["XCompute:BaseUrl"] = "http://xcompute.example", ["XCompute:ApiKey"] = "k" }));
        Assert.Contains("https", refused.Message, StringComparison.Ordinal);

        var allowed = Options(new() { ["XCompute:BaseUrl"] = "http://127.0.0.1:5080", ["XCompute:ApiKey"] = "k", ["XCompute:AllowInsecureHttp"] = "true" });
        Assert.Equal("http", allowed.BaseUrl.Scheme);
        Assert.Equal("https", Options(new() { ["XCompute:ApiKey"] = "k" }).BaseUrl.Scheme);
    }

    [Fact]
    public void The_api_key_file_wins_over_the_plain_setting()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "key-from-file\n");

            var options = Options(new() { ["XCompute:ApiKey"] = "key-from-environment", ["XCompute:ApiKeyFile"] = file });

            Assert.Equal("key-from-file", options.ApiKey);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_unreadable_key_file_stops_the_start_without_showing_a_key()
    {
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"));

        var refused = Assert.Throws<InvalidOperationException>(() => Options(new() { ["XCompute:ApiKeyFile"] = missing }));

        Assert.Contains("XCompute:ApiKeyFile", refused.Message, StringComparison.Ordinal);
    }

    private static XComputeOptions Options(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddXCompute();
        return services.BuildServiceProvider().GetRequiredService<IOptions<XComputeOptions>>().Value;
    }
}
