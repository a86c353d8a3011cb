using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class VerifiedGroupsAndCommandFingerprints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CommandFingerprint",
                schema: "avatar",
                table: "submissions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CommandFingerprint",
                schema: "avatar",
                table: "sessions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "verified_groups",
                schema: "avatar",
                columns: table => new
                {
                    GroupId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    SessionId = table.Column<Guid>(type: "uuid", nullable: false),
                    VerifiedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_verified_groups", x => x.GroupId);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "verified_groups",
                schema: "avatar");

            migrationBuilder.DropColumn(
                name: "CommandFingerprint",
                schema: "avatar",
                table: "submissions");

            migrationBuilder.DropColumn(
                name: "CommandFingerprint",
                schema: "avatar",
                table: "sessions");
        }
    }
}
