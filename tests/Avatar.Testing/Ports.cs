using System.Net;
using System.Net.Sockets;

namespace Avatar.Testing;

public static class Ports
{
    /// <summary>A loopback TCP port free at the moment of asking (for a listener that needs its port fixed in advance).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
