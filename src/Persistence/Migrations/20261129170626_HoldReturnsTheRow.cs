using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <summary>
    /// The hold as a function per scheduled table that returns the held row, so a poll holds and reads its row in one
    /// statement (see <c>PollScheduleStatements.HoldAsync</c>). <c>SETOF</c> the table: the row type follows later columns.
    /// </summary>
    public partial class HoldReturnsTheRow : Migration
    {
        internal static readonly string[] Tables = ["sessions", "submissions"];

        /// <summary>The hold of <paramref name="table"/> as this migration created it (a SQL function).</summary>
        internal static string Function(string table) => $"""
            CREATE FUNCTION avatar.hold_{table}(row_id uuid, claim uuid, hold uuid, lease interval)
            RETURNS SETOF avatar.{table} LANGUAGE sql VOLATILE AS $$
                UPDATE avatar.{table}
                SET "LeaseToken" = hold, "NextPollAt" = now() + lease, "UnfinishedAttempts" = "UnfinishedAttempts" + 1
                WHERE "Id" = row_id AND "LeaseToken" = claim AND "NextPollAt" > now()
                RETURNING *
            $$
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var table in Tables)
            {
                migrationBuilder.Sql(Function(table));
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in Tables)
            {
                migrationBuilder.Sql($"DROP FUNCTION avatar.hold_{table}(uuid, uuid, uuid, interval)");
            }
        }
    }
}
