using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <summary>
    /// The hold as a function per scheduled table that returns the held row, so a poll holds and reads its row in one
    /// statement (see <c>PollSchedule.HoldAsync</c>; the SQL: Sql/hold_v1.sql). <c>SETOF</c> the table: the row type follows later columns.
    /// </summary>
    public partial class HoldReturnsTheRow : Migration
    {
        internal static readonly string[] Tables = ["sessions", "submissions"];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Sql.SqlScripts.Read("hold_v1.sql"));

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
