using Npgsql;

namespace Avatar.Worker.Tests;

/// <summary>The Npgsql settings the worker adds to its connection string, and the ones it leaves to operators.</summary>
public sealed class ConnectionSettingsTests
{
    [Fact]
    public void Statements_are_prepared_and_connections_not_reset_unless_the_connection_string_says_otherwise()
    {
        var added = new NpgsqlConnectionStringBuilder(Persistence.PersistenceServices.WithStatementReuse("Host=db;Username=avatar;Password=secret"));

        Assert.Equal(64, added.MaxAutoPrepare);
        Assert.True(added.NoResetOnClose);
        Assert.Equal("secret", added.Password);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;MaxAutoPrepare=0;NoResetOnClose=false")]
    [InlineData("host=db;max auto prepare=0;no reset on close=false")]
    public void Settings_the_operator_gave_are_kept(string connectionString)
    {
        var kept = new NpgsqlConnectionStringBuilder(Persistence.PersistenceServices.WithStatementReuse(connectionString));

        Assert.Equal(0, kept.MaxAutoPrepare);
        Assert.False(kept.NoResetOnClose);
    }
}
