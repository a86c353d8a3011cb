using Microsoft.Extensions.Options;

namespace Avatar.Worker.Hosting;

/// <summary>
/// The one way the worker reads a settings class: bound from its configuration section, its data annotations checked
/// (nested settings too, where the property carries <see cref="ValidateObjectMembersAttribute"/>), at start, so a wrong
/// value stops the worker with a message that names it instead of surfacing at the first message. A rule across
/// several settings is a <c>Validate</c> on the builder this returns, worded with the settings' names; a rule that needs
/// another service is an <see cref="IValidateOptions{TOptions}"/> registered beside it.
/// </summary>
public static class Settings
{
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, string section)
        where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
