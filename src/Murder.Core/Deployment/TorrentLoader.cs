using System.IO;
using Murder.Core.MetaInfo;

namespace Murder.Core.Deployment;

/// <summary>Loads a .torrent for a seeder or a peer, with the errors users act on.</summary>
public static class TorrentLoader
{
    /// <summary>Reads and validates a torrent; ErrorIds TorrentNotFound and InvalidTorrent.</summary>
    public static TorrentMetaInfo Load(string torrentPath)
    {
        try
        {
            return MetaInfoReader.Load(torrentPath);
        }
        catch (FileNotFoundException error)
        {
            throw new MurderException("TorrentNotFound", MurderErrorCategory.ObjectNotFound, $"The torrent '{torrentPath}' does not exist. Create it with New-MurderTorrent (Invoke-MurderPeer -ComputerName copies it to peers), or give -TorrentPath.", error)
            {
                TargetObject = torrentPath,
            };
        }
        catch (MetaInfoException error)
        {
            throw new MurderException("InvalidTorrent", MurderErrorCategory.InvalidData, error.Message, error) { TargetObject = torrentPath };
        }
    }
}
