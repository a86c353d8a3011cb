using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "avatar");

            migrationBuilder.CreateTable(
                name: "sessions",
                schema: "avatar",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    CallbackUrl = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    ProjectName = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    State = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    CreateTaskId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    H5Link = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    BytedToken = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    VerificationTaskId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    GroupId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ErrorCode = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ErrorReason = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Deadline = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    NextPollAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    PollAttempts = table.Column<int>(type: "integer", nullable: false),
                    UnfinishedAttempts = table.Column<int>(type: "integer", nullable: false),
                    LeaseToken = table.Column<Guid>(type: "uuid", nullable: true),
                    LeaseExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "submissions",
                schema: "avatar",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    GroupId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    ProjectName = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    AssetType = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    State = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    TaskId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    TaskStatus = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Progress = table.Column<int>(type: "integer", nullable: true),
                    ErrorCode = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ErrorReason = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    SubmittedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    CompletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Deadline = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    NextPollAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    PollAttempts = table.Column<int>(type: "integer", nullable: false),
                    UnfinishedAttempts = table.Column<int>(type: "integer", nullable: false),
                    LeaseToken = table.Column<Guid>(type: "uuid", nullable: true),
                    LeaseExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Assets = table.Column<string>(type: "jsonb", nullable: true),
                    FailedAssets = table.Column<string>(type: "jsonb", nullable: true),
                    UsableAssets = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_submissions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sessions_NextPollAt",
                schema: "avatar",
                table: "sessions",
                column: "NextPollAt",
                filter: "\"NextPollAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_submissions_NextPollAt",
                schema: "avatar",
                table: "submissions",
                column: "NextPollAt",
                filter: "\"NextPollAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_submissions_TaskId",
                schema: "avatar",
                table: "submissions",
                column: "TaskId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sessions",
                schema: "avatar");

            migrationBuilder.DropTable(
                name: "submissions",
                schema: "avatar");
        }
    }
}
