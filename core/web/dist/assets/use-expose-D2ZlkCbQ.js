import{e as n}from"./index-Dtf5YvpB.js";import{K as o}from"./index-ClsJdO8S.js";function a(t){const e=o();e&&n(e.proxy,t)}export{a as u};
