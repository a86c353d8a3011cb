using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Avatar.Persistence.Configurations;

internal static class PolledConfiguration
{
    /// <summary>The schedule columns shared by every polled table, and the index the dispatcher claims through.</summary>
    public static void ConfigureSchedule<T>(this EntityTypeBuilder<T> builder)
        where T : class, IPolled
    {
        builder.Property(x => x.LeaseToken).IsConcurrencyToken();
        builder.HasIndex(x => x.NextPollAt).HasFilter("\"NextPollAt\" IS NOT NULL");
    }
}
