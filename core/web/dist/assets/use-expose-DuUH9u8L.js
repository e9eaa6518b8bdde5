import{e as n}from"./index-C45E6nuo.js";import{K as o}from"./index-DAJB3JEZ.js";function a(t){const e=o();e&&n(e.proxy,t)}export{a as u};
