using Avatar.Worker.Hosting;
using Avatar.Worker.Messaging;
using Avatar.Worker.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>Every settings class is checked as the worker registers it, nested settings included, naming the setting.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Avatar:Polling:Multiplier", "0.5", "'WorkflowOptions.Polling' members: 'Multiplier'")]
    [InlineData("Avatar:Polling:DispatchBatchSize", "0", "'WorkflowOptions.Polling' members: 'DispatchBatchSize'")]
    [InlineData("Avatar:Retention:BatchSize", "0", "'WorkflowOptions.Retention' members: 'BatchSize'")]
    [InlineData("Avatar:Retention:SweepInterval", "00:00:00", "'WorkflowOptions.Retention' members: 'SweepInterval'")]
    public void A_bad_nested_setting_is_refused_by_name(string key, string value, string named)
    {
        var services = With(new() { [key] = value }).AddAvatarWorkflows();

        var refused = Assert.Throws<OptionsValidationException>(() => services.BuildServiceProvider().GetRequiredService<IOptions<WorkflowOptions>>().Value);

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_messaging_setting_is_refused_by_name()
    {
        var services = With(new() { ["Messaging:ConcurrentMessageLimit"] = "0" });
        services.AddSettings<MessagingOptions>(MessagingOptions.Section);

        var refused = Assert.Throws<OptionsValidationException>(() => services.BuildServiceProvider().GetRequiredService<IOptions<MessagingOptions>>().Value);

        Assert.Contains("'ConcurrentMessageLimit'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_pass()
    {
        var provider = With([]).AddAvatarWorkflows().BuildServiceProvider();

        Assert.Equal(1.5, provider.GetRequiredService<IOptions<WorkflowOptions>>().Value.Polling.Multiplier);
    }

    private static ServiceCollection With(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services;
    }
}
