using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ScheduleInOnePlace : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // IX_<table>_NextPollAt stays: the model no longer declares it (EF Core cannot index a complex type's column),
            // but the claim reads through it. A claim now lives in NextPollAt itself: a held row is due when its lease ends.
            migrationBuilder.Sql("""
                UPDATE avatar.submissions SET "NextPollAt" = "LeaseExpiresAt"
                WHERE "NextPollAt" IS NOT NULL AND "LeaseExpiresAt" > "NextPollAt";
                UPDATE avatar.sessions SET "NextPollAt" = "LeaseExpiresAt"
                WHERE "NextPollAt" IS NOT NULL AND "LeaseExpiresAt" > "NextPollAt";
                UPDATE avatar.sessions SET "Deadline" = "ExpiresAt" + interval '30 seconds', "NextPollAt" = "ExpiresAt" + interval '30 seconds'
                WHERE "State" = 'AwaitingVerification' AND "NextPollAt" IS NULL;
                """);

            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                schema: "avatar",
                table: "submissions");

            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                schema: "avatar",
                table: "sessions");

            migrationBuilder.AddColumn<string>(
                name: "TraceParent",
                schema: "avatar",
                table: "submissions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TraceParent",
                schema: "avatar",
                table: "sessions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_submissions_UpdatedAt",
                schema: "avatar",
                table: "submissions",
                column: "UpdatedAt",
                filter: "\"NextPollAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_sessions_UpdatedAt",
                schema: "avatar",
                table: "sessions",
                column: "UpdatedAt",
                filter: "\"NextPollAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_submissions_UpdatedAt",
                schema: "avatar",
                table: "submissions");

            migrationBuilder.DropIndex(
                name: "IX_sessions_UpdatedAt",
                schema: "avatar",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "TraceParent",
                schema: "avatar",
                table: "submissions");

            migrationBuilder.DropColumn(
                name: "TraceParent",
                schema: "avatar",
                table: "sessions");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "LeaseExpiresAt",
                schema: "avatar",
                table: "submissions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "LeaseExpiresAt",
                schema: "avatar",
                table: "sessions",
                type: "timestamp with time zone",
                nullable: true);
        }
    }
}
