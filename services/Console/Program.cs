using Accountability.Console;

var builder = WebApplication.CreateBuilder(args);
builder.AddAccountabilityConsole();

var app = builder.Build();
app.UseAccountabilityConsole();

app.Run();
