using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <summary>
    /// The hold functions (Sql/hold_v2.sql), with the same signature and result, made cheaper for the database (docs/benchmarks.md):
    /// in PL/pgSQL instead of SQL, since PostgreSQL plans the UPDATE of a SQL function again on every call and that of a
    /// PL/pgSQL function once per connection; and committed without waiting for the WAL flush. A hold is a lease: if a
    /// database crash loses one, the row is as its claim left it, the poll's save (conditioned on the hold) fails, and
    /// the row is held again under its claim or claimed again once that lapses; nothing an event reports is lost.
    /// </summary>
    public partial class LighterHold : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Sql.SqlScripts.Read("hold_v2.sql"));

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in HoldReturnsTheRow.Tables)
            {
                migrationBuilder.Sql($"DROP FUNCTION avatar.hold_{table}(uuid, uuid, uuid, interval)");
            }

            migrationBuilder.Sql(Sql.SqlScripts.Read("hold_v1.sql"));
        }
    }
}
