using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <summary>
    /// The hold functions in PL/pgSQL instead of SQL, with the same signature and result: PostgreSQL plans the UPDATE of
    /// a SQL function again on every call, and that of a PL/pgSQL function once per connection (README, "Benchmark").
    /// </summary>
    public partial class HoldPlansOnce : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var table in HoldReturnsTheRow.Tables)
            {
                migrationBuilder.Sql($"""
                    CREATE OR REPLACE FUNCTION avatar.hold_{table}(row_id uuid, claim uuid, hold uuid, lease interval)
                    RETURNS SETOF avatar.{table} LANGUAGE plpgsql VOLATILE AS $$
                    BEGIN
                        RETURN QUERY
                        UPDATE avatar.{table}
                        SET "LeaseToken" = hold, "NextPollAt" = now() + lease, "UnfinishedAttempts" = "UnfinishedAttempts" + 1
                        WHERE "Id" = row_id AND "LeaseToken" = claim AND "NextPollAt" > now()
                        RETURNING *;
                    END
                    $$
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in HoldReturnsTheRow.Tables)
            {
                migrationBuilder.Sql($"DROP FUNCTION avatar.hold_{table}(uuid, uuid, uuid, interval)");
                migrationBuilder.Sql(HoldReturnsTheRow.Function(table));
            }
        }
    }
}
