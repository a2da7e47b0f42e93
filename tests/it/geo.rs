//! The geo group, every command, under RESP2 and RESP3.

use bytes::Bytes;
use tredis::commands::geo::{GeoBy, GeoFrom, GeoUnit};
use tredis::prelude::*;
use tredis::reply::GeoHit;

use crate::both;
use crate::support::assert_server_error;
use crate::support::b;

/// Palermo and Catania, as in the Redis documentation, and two points on the edge of a box.
const PALERMO: (f64, f64) = (13.361389, 38.115556);
const CATANIA: (f64, f64) = (15.087269, 37.502669);
const EDGE1: (f64, f64) = (12.758489, 38.788135);
const EDGE2: (f64, f64) = (17.241510, 38.788135);

/// Where the server stores them (geohash precision), and their raw 52-bit geohashes.
const PALERMO_STORED: (f64, f64) = (13.361_389_338_970_184, 38.115_556_395_496_3);
const CATANIA_STORED: (f64, f64) = (15.087_267_458_438_873, 37.502_668_423_331_62);
const PALERMO_HASH: u64 = 3479099956230698;
const CATANIA_HASH: u64 = 3479447370796909;

fn close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() <= eps
}

fn assert_coord(got: Option<(f64, f64)>, want: (f64, f64)) {
    let (lon, lat) = got.expect("a position");
    assert!(close(lon, want.0, 1e-6) && close(lat, want.1, 1e-6), "{got:?} is not {want:?}");
}

fn members(hits: &[GeoHit]) -> Vec<Bytes> {
    hits.iter().map(|h| h.member.clone()).collect()
}

fn names(items: &[&str]) -> Vec<Bytes> {
    items.iter().map(|s| b(s)).collect()
}

async fn sicily(c: &Client, key: &str) -> Result<(), tredis::Error> {
    let added = c
        .geoadd(
            key,
            [
                (PALERMO.0, PALERMO.1, "Palermo"),
                (CATANIA.0, CATANIA.1, "Catania"),
                (EDGE1.0, EDGE1.1, "edge1"),
                (EDGE2.0, EDGE2.1, "edge2"),
            ],
        )
        .await?;
    assert_eq!(added, 4);
    Ok(())
}

fn from_15_37() -> GeoFrom {
    GeoFrom::LonLat { longitude: 15.0, latitude: 37.0 }
}

both!(
    async fn add_and_inspect(c, k) {
        let key = k.key("sicily");
        assert_eq!(c.geoadd(&key, [(PALERMO.0, PALERMO.1, "Palermo"), (CATANIA.0, CATANIA.1, "Catania")]).await?, 2);
        // A member already there is updated, not added.
        assert_eq!(c.geoadd(&key, [(PALERMO.0, PALERMO.1, "Palermo")]).await?, 0);
        // NX adds only new members: Palermo keeps its place.
        assert_eq!(c.geoadd(&key, [(1.0, 1.0, "Palermo"), (EDGE1.0, EDGE1.1, "edge1")]).nx().await?, 1);
        assert_coord(c.geopos(&key, "Palermo").await?[0], PALERMO_STORED);
        // XX only updates: nothing is added, and without CH nothing counts.
        assert_eq!(c.geoadd(&key, [(EDGE2.0, EDGE2.1, "edge2"), (2.0, 2.0, "edge1")]).xx().await?, 0);
        assert_eq!(c.geopos(&key, ["edge2", "edge1"]).await?[0], None);
        // CH counts the changed ones too.
        assert_eq!(c.geoadd(&key, [(EDGE1.0, EDGE1.1, "edge1"), (EDGE2.0, EDGE2.1, "edge2")]).ch().await?, 2);
        assert_eq!(c.geoadd(&key, [(EDGE1.0, EDGE1.1, "edge1")]).xx().ch().await?, 0);
        assert_eq!(c.zcard(&key).await?, 4);

        // GEODIST in every unit; nil when a member or the key is missing.
        let m = c.geodist(&key, "Palermo", "Catania").await?.expect("a distance");
        assert!(close(m, 166274.1516, 1e-3), "{m}");
        let m = c.geodist(&key, "Palermo", "Catania").unit(GeoUnit::M).await?.unwrap();
        assert!(close(m, 166274.1516, 1e-3), "{m}");
        let km = c.geodist(&key, "Palermo", "Catania").unit(GeoUnit::Km).await?.unwrap();
        assert!(close(km, 166.2742, 1e-4), "{km}");
        let mi = c.geodist(&key, "Palermo", "Catania").unit(GeoUnit::Mi).await?.unwrap();
        assert!(close(mi, 103.3182, 1e-4), "{mi}");
        let ft = c.geodist(&key, "Palermo", "Catania").unit(GeoUnit::Ft).await?.unwrap();
        assert!(close(ft, 545518.87, 1e-2), "{ft}");
        assert_eq!(c.geodist(&key, "Palermo", "Palermo").await?, Some(0.0));
        assert_eq!(c.geodist(&key, "Palermo", "nowhere").await?, None);
        assert_eq!(c.geodist(k.key("none"), "a", "b").await?, None);

        // GEOHASH: eleven-character strings, nil for a missing member.
        assert_eq!(
            c.geohash(&key, ["Palermo", "Catania", "nowhere"]).await?,
            vec![Some("sqc8b49rny0".to_string()), Some("sqdtr74hyu0".to_string()), None]
        );
        assert_eq!(c.geohash(&key, "Catania").await?, vec![Some("sqdtr74hyu0".to_string())]);
        assert_eq!(c.geohash(k.key("none"), ["a", "b"]).await?, vec![None, None]);

        // GEOPOS: positions as stored, nil for a missing member.
        let pos = c.geopos(&key, vec!["Palermo", "nowhere", "Catania"]).await?;
        assert_eq!(pos.len(), 3);
        assert_coord(pos[0], PALERMO_STORED);
        assert_eq!(pos[1], None);
        assert_coord(pos[2], CATANIA_STORED);
        assert_eq!(c.geopos(k.key("none"), "a").await?, vec![None]);
        Ok(())
    }
);

both!(
    async fn search_reports_what_is_asked(c, k) {
        let key = k.key("sicily");
        sicily(&c, &key).await?;
        let circle = GeoBy::Circle { byradius: 200.0, unit: GeoUnit::Km };
        // Without WITH* options, hits are members only.
        let hits = c.geosearch(&key, from_15_37(), circle).asc().await?;
        assert_eq!(
            hits,
            vec![
                GeoHit { member: b("Catania"), dist: None, hash: None, coord: None },
                GeoHit { member: b("Palermo"), dist: None, hash: None, coord: None },
            ]
        );
        // Every combination of WITHDIST, WITHHASH and WITHCOORD.
        for mask in 1..8u8 {
            let (dist, hash, coord) = (mask & 1 != 0, mask & 2 != 0, mask & 4 != 0);
            let mut req = c.geosearch(&key, from_15_37(), circle).asc();
            if dist {
                req = req.withdist();
            }
            if hash {
                req = req.withhash();
            }
            if coord {
                req = req.withcoord();
            }
            let hits = req.await?;
            assert_eq!(members(&hits), names(&["Catania", "Palermo"]), "mask {mask}");
            let want = [(56.4413, CATANIA_HASH, CATANIA_STORED), (190.4424, PALERMO_HASH, PALERMO_STORED)];
            for (hit, (d, h, pos)) in hits.iter().zip(want) {
                assert_eq!(hit.dist.is_some(), dist, "mask {mask}: {hit:?}");
                assert_eq!(hit.hash.is_some(), hash, "mask {mask}: {hit:?}");
                assert_eq!(hit.coord.is_some(), coord, "mask {mask}: {hit:?}");
                if let Some(got) = hit.dist {
                    assert!(close(got, d, 1e-4), "mask {mask}: {hit:?}");
                }
                if let Some(got) = hit.hash {
                    assert_eq!(got, h, "mask {mask}");
                }
                if coord {
                    assert_coord(hit.coord, pos);
                }
            }
        }
        Ok(())
    }
);

both!(
    async fn search_shapes_and_orders(c, k) {
        let key = k.key("sicily");
        sicily(&c, &key).await?;
        // A box takes in the edge points a circle of the same size leaves out.
        let bx = GeoBy::Box { bybox: 400.0, height: 400.0, unit: GeoUnit::Km };
        let hits = c.geosearch(&key, from_15_37(), bx).asc().withdist().await?;
        assert_eq!(members(&hits), names(&["Catania", "Palermo", "edge2", "edge1"]));
        assert!(close(hits[3].dist.unwrap(), 279.7405, 1e-4), "{hits:?}");
        let hits = c.geosearch(&key, from_15_37(), bx).desc().await?;
        assert_eq!(members(&hits), names(&["edge1", "edge2", "Palermo", "Catania"]));
        // From a member; distances in the query's unit.
        let circle = GeoBy::Circle { byradius: 200.0, unit: GeoUnit::Km };
        let hits = c.geosearch(&key, GeoFrom::Member(b("Palermo")), circle).asc().withdist().await?;
        assert_eq!(members(&hits), names(&["Palermo", "edge1", "Catania"]));
        assert_eq!(hits[0].dist, Some(0.0));
        assert!(close(hits[2].dist.unwrap(), 166.2742, 1e-4), "{hits:?}");
        let miles = GeoBy::Circle { byradius: 110.0, unit: GeoUnit::Mi };
        let hits = c.geosearch(&key, GeoFrom::Member(b("Palermo")), miles).asc().withdist().await?;
        assert!(close(hits[2].dist.unwrap(), 103.3182, 1e-4), "{hits:?}");
        let feet = GeoBy::Box { bybox: 2_000_000.0, height: 2_000_000.0, unit: GeoUnit::Ft };
        assert_eq!(c.geosearch(&key, GeoFrom::Member(b("Catania")), feet).await?.len(), 4);
        let metres = GeoBy::Circle { byradius: 100_000.0, unit: GeoUnit::M };
        assert_eq!(members(&c.geosearch(&key, from_15_37(), metres).await?), names(&["Catania"]));
        // COUNT takes the nearest; with ANY, the first found.
        let hits = c.geosearch(&key, from_15_37(), bx).asc().count(2).await?;
        assert_eq!(members(&hits), names(&["Catania", "Palermo"]));
        let hits = c.geosearch(&key, from_15_37(), bx).count(1).any().withcoord().await?;
        assert_eq!(hits.len(), 1);
        assert!(hits[0].coord.is_some() && hits[0].dist.is_none());
        // A missing key holds nothing; a missing member is an error.
        assert_eq!(c.geosearch(k.key("none"), from_15_37(), bx).await?, vec![]);
        assert_server_error(c.geosearch(&key, GeoFrom::Member(b("nowhere")), circle).await, "ERR");
        Ok(())
    }
);

both!(
    async fn search_and_store(c, k) {
        let (src, dst) = (k.key("{geo}src"), k.key("{geo}dst"));
        sicily(&c, &src).await?;
        let bx = GeoBy::Box { bybox: 400.0, height: 400.0, unit: GeoUnit::Km };
        // Stored as a geo set: positions are kept.
        assert_eq!(c.geosearchstore(&dst, &src, from_15_37(), bx).await?, 4);
        assert_coord(c.geopos(&dst, "Palermo").await?[0], PALERMO_STORED);
        // STOREDIST stores distances as scores, in the query's unit.
        assert_eq!(c.geosearchstore(&dst, &src, from_15_37(), bx).asc().count(2).storedist().await?, 2);
        assert_eq!(c.zcard(&dst).await?, 2);
        let d = c.zscore(&dst, "Catania").await?.expect("a score");
        assert!(close(d, 56.4413, 1e-3), "{d}");
        let circle = GeoBy::Circle { byradius: 200.0, unit: GeoUnit::Km };
        assert_eq!(c.geosearchstore(&dst, &src, GeoFrom::Member(b("Palermo")), circle).desc().count(1).await?, 1);
        assert_eq!(c.geopos(&dst, ["Catania", "Palermo"]).await?[1], None);
        assert_eq!(c.geosearchstore(&dst, &src, from_15_37(), bx).count(3).any().await?, 3);
        // Nothing found: the destination is removed.
        let tiny = GeoBy::Circle { byradius: 1.0, unit: GeoUnit::M };
        assert_eq!(c.geosearchstore(&dst, &src, from_15_37(), tiny).await?, 0);
        assert_eq!(c.exists(&dst).await?, 0);
        Ok(())
    }
);

both!(
    async fn deprecated_radius_queries(c, k) {
        let key = k.key("{geo}sicily");
        let dst = k.key("{geo}dst");
        sicily(&c, &key).await?;
        #[allow(deprecated)]
        let hits = c.georadius(&key, 15.0, 37.0, 200.0, GeoUnit::Km).asc().await?;
        assert_eq!(members(&hits), names(&["Catania", "Palermo"]));
        assert!(hits.iter().all(|h| h.dist.is_none() && h.hash.is_none() && h.coord.is_none()));
        #[allow(deprecated)]
        let hits = c.georadius(&key, 15.0, 37.0, 200.0, GeoUnit::Km).withdist().withcoord().withhash().desc().await?;
        assert_eq!(members(&hits), names(&["Palermo", "Catania"]));
        assert!(close(hits[0].dist.unwrap(), 190.4424, 1e-4));
        assert_eq!(hits[0].hash, Some(PALERMO_HASH));
        assert_coord(hits[1].coord, CATANIA_STORED);
        #[allow(deprecated)]
        let hits = c.georadius(&key, 15.0, 37.0, 200.0, GeoUnit::Km).count(1).any().await?;
        assert_eq!(hits.len(), 1);
        // STORE and STOREDIST answer how many were stored.
        #[allow(deprecated)]
        let stored = c.georadius(&key, 15.0, 37.0, 200.0, GeoUnit::Km).store(&dst).await?;
        assert_eq!(stored, 2);
        assert_coord(c.geopos(&dst, "Catania").await?[0], CATANIA_STORED);
        #[allow(deprecated)]
        let stored = c.georadius(&key, 15.0, 37.0, 200.0, GeoUnit::Km).asc().count(1).storedist(&dst).await?;
        assert_eq!(stored, 1);
        assert!(close(c.zscore(&dst, "Catania").await?.unwrap(), 56.4413, 1e-3));
        // STORE does not go with WITH* options: the server says so.
        #[allow(deprecated)]
        let refused = c.georadius(&key, 15.0, 37.0, 200.0, GeoUnit::Km).withdist().store(&dst).await;
        assert_server_error(refused, "ERR");

        #[allow(deprecated)]
        let hits = c.georadius_ro(&key, 15.0, 37.0, 100.0, GeoUnit::Km).withdist().await?;
        assert_eq!(members(&hits), names(&["Catania"]));
        assert!(close(hits[0].dist.unwrap(), 56.4413, 1e-4));
        #[allow(deprecated)]
        let hits = c.georadius_ro(&key, 15.0, 37.0, 200.0, GeoUnit::Km).withhash().withcoord().desc().count(5).await?;
        assert_eq!(members(&hits), names(&["Palermo", "Catania"]));
        assert_eq!(hits[1].hash, Some(CATANIA_HASH));
        assert_coord(hits[0].coord, PALERMO_STORED);

        #[allow(deprecated)]
        let hits = c.georadiusbymember(&key, "Palermo", 200.0, GeoUnit::Km).asc().withdist().await?;
        assert_eq!(members(&hits), names(&["Palermo", "edge1", "Catania"]));
        assert!(close(hits[2].dist.unwrap(), 166.2742, 1e-4));
        #[allow(deprecated)]
        let hits = c.georadiusbymember(&key, "Palermo", 200.0, GeoUnit::Km).withhash().withcoord().count(1).await?;
        assert_eq!(hits, vec![GeoHit { member: b("Palermo"), dist: None, hash: Some(PALERMO_HASH), coord: hits[0].coord }]);
        assert_coord(hits[0].coord, PALERMO_STORED);
        #[allow(deprecated)]
        let stored = c.georadiusbymember(&key, "Palermo", 200.0, GeoUnit::Km).store(&dst).await?;
        assert_eq!(stored, 3);
        assert_eq!(c.zcard(&dst).await?, 3);
        #[allow(deprecated)]
        let stored = c.georadiusbymember(&key, "Palermo", 200.0, GeoUnit::Km).desc().count(2).any().storedist(&dst).await?;
        assert_eq!(stored, 2);
        #[allow(deprecated)]
        let refused = c.georadiusbymember(&key, "nowhere", 200.0, GeoUnit::Km).await;
        assert_server_error(refused, "ERR");

        #[allow(deprecated)]
        let hits = c.georadiusbymember_ro(&key, "Catania", 170.0, GeoUnit::Km).withdist().desc().await?;
        assert_eq!(members(&hits), names(&["Palermo", "Catania"]));
        assert_eq!(hits[1].dist, Some(0.0));
        #[allow(deprecated)]
        let hits = c.georadiusbymember_ro(&key, "Catania", 1.0, GeoUnit::Mi).withcoord().withhash().asc().count(3).any().await?;
        assert_eq!(members(&hits), names(&["Catania"]));
        assert_eq!(hits[0].hash, Some(CATANIA_HASH));
        #[allow(deprecated)]
        let none = c.georadius_ro(k.key("{geo}none"), 0.0, 0.0, 1.0, GeoUnit::Ft).await?;
        assert!(none.is_empty());
        Ok(())
    }
);

both!(
    async fn bad_arguments(c, k) {
        let key = k.key("g");
        // Caught before sending: NaN coordinates and radii, empty lists, ANY without COUNT.
        let argument = |e: tredis::Error| {
            assert_eq!(e.kind(), ErrorKind::Argument, "{e}");
            e.to_string()
        };
        let msg = argument(c.geoadd(&key, [(f64::NAN, 1.0, "m")]).await.unwrap_err());
        assert!(msg.contains("NaN") && msg.contains("GEOADD"), "{msg}");
        argument(c.geoadd(&key, [(1.0, f64::NAN, "m")]).await.unwrap_err());
        argument(c.geoadd(&key, Vec::<(f64, f64, &str)>::new()).await.unwrap_err());
        argument(c.geohash(&key, Vec::<&str>::new()).await.unwrap_err());
        argument(c.geopos(&key, Vec::<&str>::new()).await.unwrap_err());
        let nan_from = GeoFrom::LonLat { longitude: f64::NAN, latitude: 0.0 };
        let circle = GeoBy::Circle { byradius: 1.0, unit: GeoUnit::Km };
        argument(c.geosearch(&key, nan_from, circle).await.unwrap_err());
        let nan_circle = GeoBy::Circle { byradius: f64::NAN, unit: GeoUnit::Km };
        argument(c.geosearch(&key, from_15_37(), nan_circle).await.unwrap_err());
        let nan_box = GeoBy::Box { bybox: 1.0, height: f64::NAN, unit: GeoUnit::Km };
        argument(c.geosearchstore(k.key("{x}d"), k.key("{x}s"), from_15_37(), nan_box).await.unwrap_err());
        let msg = argument(c.geosearch(&key, from_15_37(), circle).any().await.unwrap_err());
        assert!(msg.contains("count"), "{msg}");
        argument(c.geosearchstore(k.key("{x}d"), k.key("{x}s"), from_15_37(), circle).any().await.unwrap_err());
        #[allow(deprecated)]
        let e = c.georadius(&key, 0.0, 0.0, f64::NAN, GeoUnit::M).await.unwrap_err();
        argument(e);
        #[allow(deprecated)]
        let e = c.georadius_ro(&key, f64::NAN, 0.0, 1.0, GeoUnit::M).await.unwrap_err();
        argument(e);
        #[allow(deprecated)]
        let e = c.georadiusbymember(&key, "m", 1.0, GeoUnit::M).any().await.unwrap_err();
        argument(e);
        #[allow(deprecated)]
        let e = c.georadiusbymember_ro(&key, "m", f64::NAN, GeoUnit::M).await.unwrap_err();
        argument(e);
        assert_eq!(c.exists(&key).await?, 0);
        // Refused by the server: a position outside the valid range, and the wrong type.
        assert_server_error(c.geoadd(&key, [(0.0, 89.0, "pole")]).await, "ERR");
        let negative = GeoBy::Circle { byradius: -1.0, unit: GeoUnit::M };
        assert_server_error(c.geosearch(&key, from_15_37(), negative).await, "ERR");
        c.set(&key, "text").await?;
        assert_server_error(c.geoadd(&key, [(1.0, 1.0, "m")]).await, "WRONGTYPE");
        assert_server_error(c.geosearch(&key, from_15_37(), circle).await, "WRONGTYPE");
        assert_server_error(c.geodist(&key, "a", "b").await, "WRONGTYPE");
        Ok(())
    }
);
