// avatar-admin: what ops run against the worker's own configuration (ConnectionStrings__Avatar, RabbitMq__*).
//   avatar-admin status
//   avatar-admin show <id>
//   avatar-admin redrive [queue] [--dry-run]
//   avatar-admin abandon <id> --reason "..."
using Avatar.Admin;
using Microsoft.Extensions.Configuration;

var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
return await AdminCommands.RunAsync(args, configuration, Console.Out);
