import{e as n}from"./index-CGxnl7vt.js";import{K as o}from"./index-DVwkLwsN.js";function a(t){const e=o();e&&n(e.proxy,t)}export{a as u};
